// The npm `twig` package has no types; tests only use Twig.twig({data}).render(params).
declare module 'twig' {
  const Twig: { twig(options: { data: string }): { render(params?: object): string } };
  export default Twig;
}
