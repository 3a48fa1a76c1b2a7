// The npm `twig` package ships no types; the console uses only Twig.twig({data, …}).render(params).
declare module 'twig' {
  interface TwigTemplate {
    render(params?: object): string;
  }
  const Twig: { twig(options: { data: string; autoescape?: boolean; rethrow?: boolean; id?: string }): TwigTemplate };
  export default Twig;
}
