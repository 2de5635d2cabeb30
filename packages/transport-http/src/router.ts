import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatUser } from '@parley/core';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The authenticated caller (routes marked public have none). */
  user: ChatUser;
  body(): Promise<Record<string, unknown>>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/conversations/:id/messages`; literal segments win over parameters. */
  path: string;
  /** For metrics and logs. */
  name: string;
  public?: boolean;
  /** Status on success (default 200). */
  status?: number;
  /** Where a service names a field otherwise than the request does (`query` for `?q=`): renamed in errors. */
  fields?: Record<string, string>;
  handle(ctx: RouteContext): Promise<unknown>;
}

interface Compiled extends Route {
  segments: string[];
}

export type Match = { kind: 'found'; route: Route; params: Record<string, string> } | { kind: 'method'; allow: string[] } | { kind: 'none' };

/** Matches paths segment by segment; a path that exists under another method is a 405. */
export class Router {
  private readonly routes: Compiled[];

  constructor(routes: Route[]) {
    // Literal segments before parameters, so /conversations/stats is not /conversations/:id.
    this.routes = routes
      .map((r) => ({ ...r, segments: r.path.split('/').filter(Boolean) }))
      .sort((a, b) => specificity(b.segments) - specificity(a.segments));
  }

  match(method: string, path: string): Match {
    const parts = path.split('/').filter(Boolean);
    let decoded: string[];
    try {
      decoded = parts.map((p) => decodeURIComponent(p));
    } catch {
      return { kind: 'none' };
    }
    const allow = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, decoded);
      if (params === null) continue;
      if (route.method === method) return { kind: 'found', route, params };
      allow.add(route.method);
    }
    return allow.size > 0 ? { kind: 'method', allow: [...allow] } : { kind: 'none' };
  }
}

function specificity(segments: string[]): number {
  return segments.reduce((n, s, i) => n + (s.startsWith(':') ? 0 : 2 ** (16 - i)), 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = parts[i]!;
    else if (p !== parts[i]) return null;
  }
  return params;
}
