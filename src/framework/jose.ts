/**
 * jose, loaded on first use so that servers without a JWT or OIDC mount never pay for it at start-up.
 * The promise is kept: `import()` of a module already loaded still costs ~2 µs a call (measured on
 * Node 20), and a JWT login asks for it every time.
 */
let loading: Promise<typeof import('jose')> | undefined;

export function loadJose(): Promise<typeof import('jose')> {
  loading ??= import('jose');
  return loading;
}
