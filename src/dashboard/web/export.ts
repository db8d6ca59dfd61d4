/**
 * The graph as a file for a pull request or a retrospective (issue 34): the drawn SVG with the
 * page's graph styles inside it, and a PNG drawn from it. Task titles are text nodes in the SVG
 * (the serializer escapes them); nothing from the page's script goes into the file.
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/** The page's rules the graph needs: colours (custom properties) and the graph's own rules. */
function graphRules(): string {
  const out: string[] = [];
  for (const sheet of [...document.styleSheets]) {
    let rules: CSSRuleList;
    try {
      rules = sheet.cssRules;
    } catch {
      continue;
    }
    for (const r of [...rules]) {
      const sel = r instanceof CSSStyleRule ? r.selectorText : "";
      if (sel === ":root" || sel.includes("svg.graph") || /^\.state-[a-z]+$/.test(sel)) out.push(r.cssText);
    }
  }
  return out.join("\n");
}

/** A standalone SVG document of the graph as drawn now. */
export function graphSvgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", SVG_NS);
  copy.setAttribute("font-family", "system-ui, -apple-system, 'Segoe UI', sans-serif");
  const style = document.createElementNS(SVG_NS, "style");
  style.textContent = graphRules();
  copy.insertBefore(style, copy.firstChild);
  const bg = document.createElementNS(SVG_NS, "rect");
  for (const [k, v] of Object.entries({ width: "100%", height: "100%", fill: "#ffffff" }))
    bg.setAttribute(k, v);
  copy.insertBefore(bg, style.nextSibling);
  return new XMLSerializer().serializeToString(copy);
}

function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportSvg(svg: SVGSVGElement): void {
  download("ballador-graph.svg", new Blob([graphSvgText(svg)], { type: "image/svg+xml" }));
}

/** The SVG drawn on a canvas (a data: image: the page's policy admits data: images, not blob:). */
export async function exportPng(svg: SVGSVGElement): Promise<void> {
  const text = graphSvgText(svg);
  const img = new Image();
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  img.src = `data:image/svg+xml;base64,${btoa(bin)}`;
  await img.decode();
  const w = Number(svg.getAttribute("width")) || img.width;
  const hgt = Number(svg.getAttribute("height")) || img.height;
  // Twice the size: sharp on a retina screen and in a slide.
  const canvas = document.createElement("canvas");
  canvas.width = w * 2;
  canvas.height = hgt * 2;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("this browser draws no canvas");
  ctx.scale(2, 2);
  ctx.drawImage(img, 0, 0, w, hgt);
  const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, "image/png"));
  if (!blob) throw new Error("the browser made no PNG");
  download("ballador-graph.png", blob);
}
