/**
 * Which uploaded protocol version applies to a device's object. A device states its object's version
 * with `ver` in its registration's object links; without it the object is version 1.0 (LwM2M Core 1.1
 * section 6.2.1). The exact version applies when it was uploaded. Otherwise the newest uploaded
 * version of the same major version does: minor versions only add to an object and stay compatible
 * with the earlier ones (Core 1.1, "Object Versioning"), so its resources mean the same. A version of
 * another major version may have changed them: none applies, and the built-in defaults stay in force.
 */
import { compareObjectVersions } from '../lwm2m/ObjectModel.ts';

export function chooseProtocolVersion(uploaded: readonly string[], registered: string | null | undefined): string | undefined {
  const wanted = registered ?? '1.0';
  if (uploaded.includes(wanted)) return wanted;
  const major = wanted.split('.')[0];
  return [...uploaded].filter((version) => version.split('.')[0] === major).sort(compareObjectVersions).at(-1);
}
