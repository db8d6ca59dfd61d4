/**
 * Building the page from data. Every string goes in as a text node or a property (never
 * innerHTML, never an HTML string): agent-written text cannot become markup. The page's
 * Content-Security-Policy (Trusted Types) makes the browser refuse HTML sinks as well.
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag: string, attrs: Attrs | null = null, ...children: Array<Child | Child[]>): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs | null): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    // Never an event-handler attribute from data, never a style attribute (CSP refuses those).
    else if (/^on/i.test(k) || k === "style") throw new Error(`refused attribute ${k}`);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

export function append(el: Node, children: Array<Child | Child[]>): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A link inside the page; the id is URI-encoded after a fixed "#/task/", so it is never a scheme. */
export function taskHref(id: string): string {
  return `#/task/${encodeURIComponent(id)}`;
}

export function age(iso: string, now = Date.now()): string {
  const sec = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m`;
  if (sec < 86_400)
    return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(sec / 86_400)}d`;
}

/**
 * A safe subset of markdown, built from text nodes: headings, lists, fenced code, paragraphs
 * and inline `code`. Nothing else is interpreted; an HTML tag in the text shows as the tag.
 */
export function markdown(text: string): HTMLElement {
  const root = h("div", { class: "md" });
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let para: string[] = [];
  let list: HTMLElement | null = null;
  const flush = () => {
    if (para.length) root.appendChild(h("p", null, inline(para.join("\n"))));
    para = [];
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = /^(```|~~~)/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).startsWith(fence[1] as string); i++)
        code.push(lines[i] as string);
      root.appendChild(h("pre", { class: "code" }, code.join("\n")));
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(6, (heading[1] as string).length + 2) as 3 | 4 | 5 | 6;
      root.appendChild(h(`h${level}`, null, inline(heading[2] as string)));
      continue;
    }
    const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(line);
    if (item) {
      if (para.length) flush();
      if (!list) {
        list = h("ul");
        root.appendChild(list);
      }
      list.appendChild(h("li", null, inline(item[1] as string)));
      continue;
    }
    if (line.trim() === "") {
      flush();
      continue;
    }
    list = null;
    para.push(line);
  }
  flush();
  return root;
}

function inline(text: string): Node[] {
  const out: Node[] = [];
  const parts = text.split(/(`[^`\n]+`|\*\*[^*\n]+\*\*)/);
  for (const p of parts) {
    if (!p) continue;
    if (p.startsWith("`") && p.endsWith("`") && p.length > 2) out.push(h("code", null, p.slice(1, -1)));
    else if (p.startsWith("**") && p.endsWith("**") && p.length > 4)
      out.push(h("strong", null, p.slice(2, -2)));
    else out.push(document.createTextNode(p));
  }
  return out;
}
