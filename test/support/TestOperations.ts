/** Operations for tests, their content given as JSON and parsed as the service parses an operation before it queues it. */
import { parseOperation } from '../../src/app/operations/OperationRequests.ts';
import type { JsonValue } from '../../src/domain/Json.ts';
import type { OperationKind, OperationSpec, UncheckedOperation } from '../../src/domain/operations/OperationEvents.ts';

/** The operation, its content parsed against its kind; throws what the parse refuses. */
export function parsedOperation(unchecked: UncheckedOperation): OperationSpec {
  const parsed = parseOperation(unchecked);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

export function operationSpec(kind: OperationKind, paths: readonly string[], content: JsonValue | null = null): OperationSpec {
  return parsedOperation({ kind, paths, content });
}
