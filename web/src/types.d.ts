// Declarations the type check needs for what the bundler provides (web/build.mjs).

/** Stylesheets are imported as text (esbuild's `text` loader) and adopted into shadow roots. */
declare module "*.css" {
  const text: string;
  export default text;
}
