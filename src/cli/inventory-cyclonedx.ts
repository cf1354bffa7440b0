/**
 * The inventory as a CycloneDX JSON BOM (1.5 or 1.6). One image: the image is the BOM's subject
 * (`metadata.component`) and its packages are the components. Several images: each image is a
 * `container` component with its packages nested. Failed images have no component: each is an
 * `eraser:image:failed` property of the BOM's metadata (besides stderr and the exit code), so a
 * BOM missing an image says so. The OS component carries its end-of-life verdict.
 */
import * as CDX from '@cyclonedx/cyclonedx-library';

import { parseReference } from '../images/reference.js';
import { formatPurl } from '../scanner/analyzers/purl.js';
import type { Package } from '../scanner/types.js';
import type { ImageResult, InventoryReport } from './inventory-run.js';

export type CycloneDxVersion = '1.5' | '1.6';

const SPECS: Readonly<Record<CycloneDxVersion, typeof CDX.Spec.Spec1dot6>> = {
  '1.5': CDX.Spec.Spec1dot5,
  '1.6': CDX.Spec.Spec1dot6,
};

export interface CycloneDxOptions {
  readonly specVersion: CycloneDxVersion;
  /** When the BOM was made. */
  readonly timestamp: Date;
  /** `urn:uuid:…`, unique per BOM. */
  readonly serialNumber: string;
}

type Inventoried = Extract<ImageResult, { status: 'inventoried' }>;

/** bom-refs must be unique in a BOM; the same purl can occur at two paths of one image. */
class RefMaker {
  private readonly seen = new Map<string, number>();

  make(base: string): string {
    const count = (this.seen.get(base) ?? 0) + 1;
    this.seen.set(base, count);
    return count === 1 ? base : `${base}#${count}`;
  }
}

function property(name: string, value: string | undefined): CDX.Models.Property[] {
  return value === undefined ? [] : [new CDX.Models.Property(name, value)];
}

function packageComponent(p: Package, refs: RefMaker, prefix: string): CDX.Models.Component {
  const component = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, {
    bomRef: refs.make(`${prefix}${p.purl}`),
    version: p.version,
    purl: p.purl,
  });
  const source =
    p.sourceName === undefined ? undefined : `${p.sourceName} ${p.sourceVersion ?? ''}`.trim();
  for (const prop of [
    ...property('eraser:package:type', p.ecosystem),
    ...property('eraser:package:path', p.path),
    ...property('eraser:package:layer', p.layerDigest),
    ...property('eraser:package:source', source),
  ]) {
    component.properties.add(prop);
  }
  return component;
}

/** `pkg:oci/<name>@<digest>?repository_url=…&tag=…` (purl-spec, type oci), when it has a digest. */
function imagePurl(result: Inventoried): string | undefined {
  const digest = result.facts.targetDigest ?? result.facts.manifestDigest;
  if (digest === undefined) return undefined;
  let ref;
  try {
    ref = parseReference(result.image);
  } catch {
    return undefined;
  }
  if (ref.kind !== 'name') return undefined;
  const name = ref.repository.slice(ref.repository.lastIndexOf('/') + 1);
  const qualifiers = { repository_url: ref.name, tag: ref.tag };
  return formatPurl({ type: 'oci', name, version: digest, qualifiers });
}

function imageComponent(result: Inventoried, refs: RefMaker, prefix: string) {
  const { facts, inventory } = result;
  const purl = imagePurl(result);
  const image = new CDX.Models.Component(CDX.Enums.ComponentType.Container, result.image, {
    bomRef: refs.make(`${prefix}image`),
    version: facts.targetDigest ?? facts.manifestDigest ?? facts.id,
    ...(purl === undefined ? {} : { purl }),
  });
  for (const prop of [
    ...property('eraser:image:id', facts.id),
    ...property('eraser:image:platform', facts.platform),
    ...property('eraser:image:source', facts.source),
  ]) {
    image.properties.add(prop);
  }

  const children = inventory.packages.map((p) => packageComponent(p, refs, prefix));
  const { os } = inventory;
  if (os !== undefined) {
    const type = CDX.Enums.ComponentType.OperatingSystem;
    const osRef = refs.make(`${prefix}os:${os.family}`);
    const props = { bomRef: osRef, version: os.version, description: os.name };
    const osComponent = new CDX.Models.Component(type, os.family, props);
    for (const prop of [
      ...property('eraser:os:eol-date', os.eol?.date),
      ...property('eraser:os:past-eol', os.eol === undefined ? undefined : String(os.eol.pastEol)),
    ]) {
      osComponent.properties.add(prop);
    }
    children.unshift(osComponent);
  }
  return { image, children };
}

export function inventoryCycloneDx(report: InventoryReport, options: CycloneDxOptions): string {
  const bom = new CDX.Models.Bom({ serialNumber: options.serialNumber });
  bom.metadata.timestamp = options.timestamp;
  bom.metadata.tools.components.add(
    new CDX.Models.Component(CDX.Enums.ComponentType.Application, 'eraser'),
  );

  for (const result of report.images) {
    if (result.status !== 'failed') continue;
    const { code, message } = result.error;
    bom.metadata.properties.add(
      new CDX.Models.Property('eraser:image:failed', `${result.image}: ${code}: ${message}`),
    );
  }

  const done = report.images.filter((r): r is Inventoried => r.status === 'inventoried');
  const refs = new RefMaker();
  const [only] = done;
  if (done.length === 1 && only !== undefined) {
    const { image, children } = imageComponent(only, refs, '');
    bom.metadata.component = image;
    for (const child of children) bom.components.add(child);
  } else {
    done.forEach((result, i) => {
      const { image, children } = imageComponent(result, refs, `image-${i + 1}/`);
      for (const child of children) image.components.add(child);
      bom.components.add(image);
    });
  }

  const factory = new CDX.Serialize.JSON.Normalize.Factory(SPECS[options.specVersion]);
  const serializer = new CDX.Serialize.JsonSerializer(factory);
  return `${serializer.serialize(bom, { sortLists: false, space: 2 })}\n`;
}
