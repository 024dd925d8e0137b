/**
 * Where a path's rule is found: exact patterns in a Map, `*` prefixes in a radix tree (longest prefix in
 * one walk of the path), `+` patterns in a segment trie, and Vault's priority order between candidates.
 */
import type { Permissions } from './permissions.js';

export interface IndexedRule {
  /** The pattern as written (after templating), `*` included. */
  pattern: string;
  perms: Permissions;
  /** acl.go's wcPathDescr: where the first `+` (or the glob) sits, and the pattern without its `*`. */
  firstWildcard: number;
  isPrefix: boolean;
  wildcards: number;
  wcPath: string;
}

/** policy.go's test for a segment-wildcard pattern: a `+` opening the path or a segment. */
export const hasSegmentWildcards = (p: string) => p === '+' || p.includes('/+') || p.startsWith('+/');

export function indexedRule(pattern: string, perms: Permissions): IndexedRule {
  const isPrefix = pattern.endsWith('*');
  const wcPath = isPrefix ? pattern.slice(0, -1) : pattern;
  if (!hasSegmentWildcards(pattern)) {
    return { pattern, perms, firstWildcard: isPrefix ? wcPath.length : -1, isPrefix, wildcards: 0, wcPath };
  }
  const wildcards = wcPath.split('/').filter((s) => s === '+').length;
  return { pattern, perms, firstWildcard: pattern.indexOf('+'), isPrefix, wildcards, wcPath };
}

/**
 * Vault's order between matching non-exact patterns (acl.go CheckAllowedFromNonExactPaths): is `a` lower
 * than `b`? Checked in turn: an earlier first wildcard is lower; a `*` prefix is lower than a non-prefix;
 * more `+` segments are lower; shorter is lower; then lexically smaller is lower.
 */
export function isLowerPriority(a: IndexedRule, b: IndexedRule): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix;
  if (a.wildcards !== b.wildcards) return a.wildcards > b.wildcards;
  if (a.wcPath.length !== b.wcPath.length) return a.wcPath.length < b.wcPath.length;
  return a.wcPath < b.wcPath;
}

interface RadixNode {
  /** Edges by the first character of their label. */
  edges: Map<number, { label: string; node: RadixNode }>;
  rule?: IndexedRule;
}

const radixNode = (rule?: IndexedRule): RadixNode => ({ edges: new Map(), rule });

/**
 * `*` prefixes in a radix tree (as Vault's armon/go-radix): the longest one that is a plain string prefix of
 * the path is found in one walk, a hop per shared label rather than per character.
 */
class PrefixTree {
  private readonly root = radixNode();

  add(prefix: string, rule: IndexedRule): void {
    let node = this.root;
    let i = 0;
    while (i < prefix.length) {
      const edge = node.edges.get(prefix.charCodeAt(i));
      if (!edge) {
        node.edges.set(prefix.charCodeAt(i), { label: prefix.slice(i), node: radixNode(rule) });
        return;
      }
      let shared = 0;
      while (shared < edge.label.length && edge.label[shared] === prefix[i + shared]) shared++;
      if (shared < edge.label.length) {
        // Split the edge where the new prefix leaves it.
        const middle = radixNode();
        const rest = edge.label.slice(shared);
        middle.edges.set(rest.charCodeAt(0), { label: rest, node: edge.node });
        edge.label = edge.label.slice(0, shared);
        edge.node = middle;
      }
      node = edge.node;
      i += shared;
    }
    node.rule = rule;
  }

  longest(path: string): IndexedRule | undefined {
    let node = this.root;
    let best = node.rule;
    for (let i = 0; i < path.length; ) {
      const edge = node.edges.get(path.charCodeAt(i));
      if (!edge || !path.startsWith(edge.label, i)) break;
      i += edge.label.length;
      node = edge.node;
      if (node.rule) best = node.rule;
    }
    return best;
  }
}

interface SegmentNode {
  literal: Map<string, SegmentNode>;
  plus?: SegmentNode;
  /** A non-prefix pattern ending at this node. */
  exact?: IndexedRule;
  /** Prefix patterns whose last segment (a string prefix of the path's next segment) follows this node. */
  globs: { last: string; rule: IndexedRule }[];
}

const segmentNode = (): SegmentNode => ({ literal: new Map(), globs: [] });

/** `+` patterns by segment, so a lookup follows only the branches the path's segments can take. */
class SegmentTrie {
  private readonly root = segmentNode();
  size = 0;

  add(rule: IndexedRule): void {
    const segments = rule.wcPath.split('/');
    const last = rule.isPrefix ? segments.pop()! : undefined;
    let node = this.root;
    for (const segment of segments) {
      if (segment === '+') node = node.plus ??= segmentNode();
      else {
        let child = node.literal.get(segment);
        if (!child) {
          child = segmentNode();
          node.literal.set(segment, child);
        }
        node = child;
      }
    }
    if (last === undefined) node.exact = rule;
    else node.globs.push({ last, rule });
    this.size++;
  }

  /**
   * The highest-priority of `best` and every `+` pattern matching `path`, reading the segment that starts at
   * `start` (past the end: no segment left). Segments are cut lazily, only where the trie has branches.
   */
  best(path: string, best: IndexedRule | undefined, node = this.root, start = 0): IndexedRule | undefined {
    if (start > path.length)
      return node.exact && (!best || isLowerPriority(best, node.exact)) ? node.exact : best;
    const slash = path.indexOf('/', start);
    const next = slash < 0 ? path.length + 1 : slash + 1;
    if (node.globs.length > 0 || node.literal.size > 0) {
      const part = path.slice(start, slash < 0 ? path.length : slash);
      // A prefix pattern's last segment is a string prefix, and the path may go on past it.
      for (const { last, rule } of node.globs)
        if (part.startsWith(last) && (!best || isLowerPriority(best, rule))) best = rule;
      const literal = node.literal.get(part);
      if (literal) best = this.best(path, best, literal, next);
    }
    // `+` is any one segment, the empty one included (`secret/+` matches the list path `secret/`).
    if (node.plus) best = this.best(path, best, node.plus, next);
    return best;
  }
}

export class RuleIndex {
  private readonly exactRules = new Map<string, IndexedRule>();
  private readonly prefixes = new PrefixTree();
  private readonly segments = new SegmentTrie();
  /** Every rule, for the rare whole-ACL walks (mount visibility). */
  readonly all: IndexedRule[] = [];

  add(rule: IndexedRule): void {
    this.all.push(rule);
    if (hasSegmentWildcards(rule.pattern)) this.segments.add(rule);
    else if (rule.isPrefix) this.prefixes.add(rule.wcPath, rule);
    else this.exactRules.set(rule.pattern, rule);
  }

  exact(path: string): IndexedRule | undefined {
    return this.exactRules.get(path);
  }

  /** The highest-priority `*` or `+` pattern matching the path (the longest `*` prefix competes with every `+`). */
  nonExact(path: string): IndexedRule | undefined {
    const longest = this.prefixes.longest(path);
    return this.segments.size === 0 ? longest : this.segments.best(path, longest);
  }
}
