/**
 * jose, loaded on first use so that servers without a JWT or OIDC mount never pay for it at start-up.
 * The promise is kept: `import()` of a module already loaded still costs ~2 µs a call (measured on
 * Node 20), and its callers (JWKS key imports, Kubernetes logins without pem_keys, identity tokens'
 * signing and introspection) ask on every call.
 */
let loading: Promise<typeof import('jose')> | undefined;

export function loadJose(): Promise<typeof import('jose')> {
  loading ??= import('jose');
  return loading;
}
