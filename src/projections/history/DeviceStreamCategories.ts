/**
 * The streams that belong to a device: `<category>-<endpoint>`. A device's history is every event on
 * every one of them. A new per-device aggregate (registration, operations, bootstrap, ...) joins the
 * history by adding its category here.
 */
export const deviceStreamCategories: readonly string[] = ['device'];

export const deviceStreamPrefixes: readonly string[] = deviceStreamCategories.map((category) => `${category}-`);

/** The endpoint whose stream this is, or undefined when the stream is not a device's. */
export function endpointOfStream(stream: string): { category: string; endpoint: string } | undefined {
  for (const category of deviceStreamCategories) {
    const prefix = `${category}-`;
    if (stream.startsWith(prefix) && stream.length > prefix.length) return { category, endpoint: stream.slice(prefix.length) };
  }
  return undefined;
}
