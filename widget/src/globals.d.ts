// Build-time constants injected by webpack's DefinePlugin (and by jest `globals` in tests).
declare const __AMOCHAN_SERVER_URL__: string;

// Templates are bundled as their source text (webpack `asset/source`), see src/templates.ts.
declare module '*.twig' {
  const source: string;
  export default source;
}

// The host's Twig.js (amoCRM ships it as the AMD module `twigjs`; tests map it to the `twig` package).
declare module 'twigjs' {
  const Twig: { twig(options: { data: string }): { render(params: object): string } };
  export default Twig;
}
