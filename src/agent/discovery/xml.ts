// A minimal XML reader for `nvidia-smi -q -x`: elements, attributes and text, nothing more.
// The format is flat, machine-written and has no mixed content, so a full XML library would be
// a dependency for a few dozen lines of work.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ENTITIES[e]!);
}

export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*"[^"]*")*)\s*(\/?)>|<!--[\s\S]*?-->|<![^>]*>|<\?[\s\S]*?\?>/g;
  let last = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const top = stack[stack.length - 1]!;
    top.text += xml.slice(last, m.index);
    last = tag.lastIndex;
    if (!m[2]) continue; // comment, doctype, declaration
    if (m[1]) {
      if (stack.length > 1 && top.name === m[2]) stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? '').matchAll(/([\w.:-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]!] = decode(a[2]!);
    const el: XmlElement = { name: m[2], attrs, children: [], text: '' };
    top.children.push(el);
    if (!m[4]) stack.push(el);
  }
  const fix = (e: XmlElement): void => {
    e.text = decode(e.text).trim();
    e.children.forEach(fix);
  };
  fix(root);
  return root;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el?.children.filter((c) => c.name === name) ?? [];
}

/** Text at a path of element names, e.g. textAt(gpu, 'fb_memory_usage', 'total'). */
export function textAt(el: XmlElement | undefined, ...path: string[]): string | undefined {
  let cur = el;
  for (const p of path) cur = child(cur, p);
  return cur?.text;
}
