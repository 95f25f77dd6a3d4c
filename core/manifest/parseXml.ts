import { SwarmError } from '../SwarmError';
import { MANIFEST_LIMITS } from './types';

/** An element of the tree parseXml builds: local name (prefix stripped), attributes, child elements, text. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** Concatenated character data (text and CDATA) directly inside the element, entities decoded. */
  text: string;
}

const MAX_DEPTH = 64;
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (match, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED[name] ?? match;
    const cp = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? '', 16);
    const valid = cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    return valid ? String.fromCodePoint(cp) : match;
  });
}

function violation(message: string, offset: number): SwarmError {
  return new SwarmError('protocol-violation', `XML: ${message}`, { offset });
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/**
 * A small, bounded XML reader for MPDs: elements, attributes, the five predefined entities and numeric character
 * references, comments, CDATA, processing instructions and DOCTYPE skipped (no DTD entities are expanded). One
 * forward pass, no recursion, no backtracking. Returns the root element; the first root closes the document.
 * Throws SwarmError 'protocol-violation' for malformed markup and 'size-exceeded' past
 * MANIFEST_LIMITS.maxXmlElements elements.
 */
export function parseXml(text: string): XmlElement {
  const n = text.length;
  const stack: { element: XmlElement; qname: string }[] = [];
  let root: XmlElement | null = null;
  let count = 0;
  let pos = 0;

  const appendText = (chunk: string): void => {
    const top = stack[stack.length - 1];
    if (top !== undefined && chunk.trim() !== '') top.element.text += chunk;
  };

  while (pos < n && root === null) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) {
      appendText(decodeEntities(text.slice(pos)));
      break;
    }
    if (lt > pos) appendText(decodeEntities(text.slice(pos, lt)));
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) throw violation('unterminated comment', lt);
      pos = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end < 0) throw violation('unterminated CDATA', lt);
      appendText(text.slice(lt + 9, end));
      pos = end + 3;
    } else if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) throw violation('unterminated processing instruction', lt);
      pos = end + 2;
    } else if (text.startsWith('<!', lt)) {
      // DOCTYPE (possibly with an internal subset in brackets) or another declaration: skipped
      const gt = text.indexOf('>', lt + 2);
      const bracket = text.indexOf('[', lt + 2);
      let end = gt;
      if (bracket >= 0 && (gt < 0 || bracket < gt)) {
        const close = text.indexOf(']', bracket + 1);
        end = close < 0 ? -1 : text.indexOf('>', close + 1);
      }
      if (end < 0) throw violation('unterminated declaration', lt);
      pos = end + 1;
    } else if (text[lt + 1] === '/') {
      const gt = text.indexOf('>', lt + 2);
      if (gt < 0) throw violation('unterminated end tag', lt);
      const qname = text.slice(lt + 2, gt).trim();
      const top = stack.pop();
      if (top === undefined || top.qname !== qname) throw violation(`unexpected </${qname.slice(0, 40)}>`, lt);
      if (stack.length === 0) root = top.element;
      pos = gt + 1;
    } else {
      pos = readStartTag(lt);
    }
  }
  if (root === null) throw violation(stack.length > 0 ? 'unclosed element' : 'no root element', n);
  return root;

  /** Reads `<name attr="v" …>` or `<name … />` at `lt`; returns the position after it. */
  function readStartTag(lt: number): number {
    let i = lt + 1;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (isSpace(c) || c === 0x3e /* > */ || c === 0x2f /* / */) break;
      i++;
    }
    const qname = text.slice(lt + 1, i);
    if (qname === '' || i >= n) throw violation('bad start tag', lt);
    const attrs = new Map<string, string>();
    let selfClosing = false;
    for (;;) {
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      if (i >= n) throw violation('unterminated start tag', lt);
      if (text[i] === '>') {
        i++;
        break;
      }
      if (text[i] === '/' && text[i + 1] === '>') {
        i += 2;
        selfClosing = true;
        break;
      }
      const nameStart = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (isSpace(c) || c === 0x3d /* = */ || c === 0x3e || c === 0x2f) break;
        i++;
      }
      const name = text.slice(nameStart, i);
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      if (name === '' || text[i] !== '=') throw violation('bad attribute', i);
      i++;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      const quote = text[i];
      if (quote !== '"' && quote !== "'") throw violation('unquoted attribute value', i);
      const close = text.indexOf(quote, i + 1);
      if (close < 0) throw violation('unterminated attribute value', i);
      if (!attrs.has(name)) attrs.set(name, decodeEntities(text.slice(i + 1, close)));
      i = close + 1;
    }
    if (++count > MANIFEST_LIMITS.maxXmlElements) {
      throw new SwarmError('size-exceeded', 'XML: too many elements', { max: MANIFEST_LIMITS.maxXmlElements });
    }
    const element: XmlElement = { name: localName(qname), attrs, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.element.children.push(element);
    if (selfClosing) {
      if (parent === undefined) root = element;
    } else {
      if (stack.length >= MAX_DEPTH) throw violation('elements nested too deeply', lt);
      stack.push({ element, qname });
    }
    return i;
  }
}
