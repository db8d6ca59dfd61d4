/** Talking to the server: JSON reads, and writes carrying the session's CSRF token. */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly details: string[] = [],
    readonly status = 0,
  ) {
    super(message);
  }
}

const csrf = document.querySelector<HTMLMetaElement>('meta[name="ballador-csrf"]')?.content ?? "";

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(text.trim() || `HTTP ${res.status}`, [], res.status);
  }
  if (!res.ok) {
    const b = body as { error?: string; details?: string[] };
    throw new ApiError(b.error ?? `HTTP ${res.status}`, b.details ?? [], res.status);
  }
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return parse<T>(await fetch(path, { credentials: "same-origin" }));
}

export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  return parse<T>(
    await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Ballador-CSRF": csrf },
      body: JSON.stringify(body),
    }),
  );
}
