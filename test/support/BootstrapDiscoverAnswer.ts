/**
 * A test device's answer to Bootstrap-Discover of "/" (LwM2M Core 1.1 section 6.1, Bootstrap-Discover),
 * as 1.1 clients give it (Leshan's, for one): the enabler version, then each instance of the Security
 * (0) and Server (1) objects it holds; a Security instance with its `uri`, and with its `ssid` unless it
 * is a Bootstrap-Server account; a Server instance with its `ssid`.
 */
import type { LwM2mValue, ObjectInstanceNode } from '../../src/domain/lwm2m/LwM2mValue.ts';

export function bootstrapDiscoverAnswer(objects: ReadonlyMap<number, ReadonlyMap<number, ObjectInstanceNode>>): string {
  const links = ['</>;lwm2m=1.1'];
  for (const instance of objects.get(0)?.values() ?? []) {
    const bootstrapServer = valueOf(instance, 1)?.value === true;
    const ssid = valueOf(instance, 10);
    const uri = valueOf(instance, 0);
    links.push(
      `</0/${instance.id}>${!bootstrapServer && ssid?.type === 'integer' ? `;ssid=${ssid.value}` : ''}${uri?.type === 'string' ? `;uri="${uri.value}"` : ''}`,
    );
  }
  for (const instance of objects.get(1)?.values() ?? []) {
    const ssid = valueOf(instance, 0);
    links.push(`</1/${instance.id}>${ssid?.type === 'integer' ? `;ssid=${ssid.value}` : ''}`);
  }
  return links.join(',');
}

function valueOf(instance: ObjectInstanceNode, resourceId: number): LwM2mValue | undefined {
  const resource = instance.resources.get(resourceId);
  return resource?.kind === 'resource' ? resource.value : undefined;
}
