/**
 * A response whose `end()` takes effect at the end of the event-loop turn, together with every other
 * response ended in that turn, instead of at once.
 *
 * Why: writing to a socket whose reader sleeps wakes the reader's core, and on a VM that wake-up (an
 * inter-processor interrupt) is paid by the writer's core in the kernel. A server that answers each
 * request as it finishes wakes a waiting client once per response; answering a turn's requests
 * together wakes it once per turn, and the client then sends its next requests together too.
 * Measured on 2026-12-02 (bench/cpu.ts, 64 connections, side by side with immediate ends): the load
 * generator slept 0.74–0.86 times per kv2-read before and 0.02 after; the server's CPU per read
 * went from 57.5 to 43.1 µs (kernel 14.8 to 9.1) and per lookup-self from 57.3 to 43.8.
 *
 * The cost: a response waits for the rest of the turn it was ended in (the other I/O callbacks libuv
 * polled with it), whatever that work is, but not for a later turn. A long turn of other work (a burst
 * of database replies) delays it by that much; on mass-expiry no difference was measurable
 * (docs/performance.md). Everything else is Node's own: end()'s arguments are passed on unchanged, so
 * its callback, `finish` and the errors of a second end() are as Node gives them, one turn later.
 * `writableEnded` and `finished` read false until then.
 */
import { type IncomingMessage, ServerResponse } from 'node:http';

interface PendingEnd {
  response: TurnBatchedResponse;
  chunk: unknown;
  encoding: unknown;
  callback: unknown;
}

/** The ends asked for in this turn, in order (one response may appear twice: Node answers the second). */
let pending: PendingEnd[] = [];

function endPending(): void {
  // Swapped first: an end() called from a callback below waits for the next turn, as it would anyway.
  const ends = pending;
  pending = [];
  for (const { response, chunk, encoding, callback } of ends) response.endNow(chunk, encoding, callback);
}

export class TurnBatchedResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  // One signature for Node's three overloads (end(cb), end(chunk, cb), end(chunk, encoding, cb)): they
  // are told apart at run time by Node's own end(), which gets the arguments as they came.
  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    if (pending.push({ response: this, chunk, encoding, callback }) === 1) setImmediate(endPending);
    return this;
  }

  /** Node's end(), now. */
  endNow(chunk: unknown, encoding: unknown, callback: unknown): void {
    super.end(chunk, encoding as BufferEncoding, callback as (() => void) | undefined);
  }
}
