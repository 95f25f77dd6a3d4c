import type { XmlElement } from './parseXml';

/** Child elements of `parent` with local name `name`, in document order. */
export function xmlChildren(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((child) => child.name === name);
}

/** The first child element of `parent` with local name `name`, or null. */
export function xmlChild(parent: XmlElement, name: string): XmlElement | null {
  return parent.children.find((child) => child.name === name) ?? null;
}
