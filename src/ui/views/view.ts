/** What a view is handed: its route parameters and the page's ways to move on or report. */
export interface ViewContext {
  /** The route's name, the first segment: `show`, `edit`, `create`, … */
  route: string;
  /** The route's segments after its name, decoded. */
  params: string[];
  navigate(segments: string[]): void;
  notify(message: string): void;
  /** Shows an API error from an action (a save, a delete) in the message area. */
  fail(error: unknown): void;
  /** True once the user moved on: an action's late result must not touch the page. */
  stale(): boolean;
  signedIn(): void;
  /** Renders the current route again from fresh API calls. */
  refresh(): void;
}

/** A view renders from fresh API calls; what it throws is shown as the page's error. */
export type View = (context: ViewContext) => Promise<Node>;
