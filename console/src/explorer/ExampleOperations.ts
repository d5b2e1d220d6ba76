/**
 * The example operations of examples/graphql, as the explorer offers them: each file's operations,
 * and the variables its last `# Variables: {...}` comment line gives (JSON), so that a tab opens
 * ready to run.
 */
export interface ExampleOperation {
  /** The file name without `.graphql`, e.g. `read-resource`. */
  readonly name: string;
  readonly query: string;
  /** Pretty-printed JSON, as the variables editor shows it. */
  readonly variables: string;
}

const variablesLine = /^#\s*Variables:\s*(\{.*\})\s*$/m;

export function exampleVariables(text: string): Record<string, unknown> {
  const json = variablesLine.exec(text)?.[1];
  return json === undefined ? {} : (JSON.parse(json) as Record<string, unknown>);
}

/** `files` maps a path (`.../read-resource.graphql`) to its text, as Vite's import.meta.glob gives it. */
export function exampleOperations(files: Readonly<Record<string, string>>): ExampleOperation[] {
  return Object.entries(files)
    .map(([path, text]) => ({
      name: (path.split('/').pop() ?? path).replace(/\.graphql$/, ''),
      query: text.replace(variablesLine, '').trimEnd() + '\n',
      variables: JSON.stringify(exampleVariables(text), null, 2),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
