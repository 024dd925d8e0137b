/**
 * DOM building for the UI. Every value reaches the page as a text node or a property, never as
 * markup: no string is ever parsed as HTML in the UI (SECURITY.md K6, CVE-2023-2121).
 */

type Child = Node | string | number | false | null | undefined;

export interface Props {
  class?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  href?: string;
  id?: string;
  for?: string;
  title?: string;
  autocomplete?: string;
  required?: boolean;
  disabled?: boolean;
  readOnly?: boolean;
  rows?: number;
  spellcheck?: boolean;
  'aria-label'?: string;
  'data-testid'?: string;
  onclick?: (event: MouseEvent) => void;
  onsubmit?: (event: SubmitEvent) => void;
}

/** `el('button', { class: 'primary', onclick }, 'Save')`: an element with properties and text children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key === 'onclick' || key === 'onsubmit') node.addEventListener(key.slice(2), value as EventListener);
    else if (key === 'class') node.className = String(value);
    else if (key === 'value' || key === 'readOnly' || key === 'rows' || key === 'spellcheck')
      (node as unknown as Record<string, unknown>)[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** A link to a route of the page (`#/…`), built from unencoded route segments. */
export function link(segments: string[], label: Child, props: Props = {}): HTMLAnchorElement {
  return el('a', { ...props, href: routeHref(segments) }, label);
}

export function routeHref(segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** A labelled form control. */
export function field(label: string, id: string, input: HTMLElement): HTMLElement {
  return el('div', { class: 'field' }, el('label', { for: id }, label), input);
}
