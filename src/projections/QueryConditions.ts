/**
 * The WHERE clause of a read model's filtered query, built condition by condition with its
 * parameters beside it, so that a filter left out (undefined or null) adds nothing.
 */
import type { SQLInputValue } from 'node:sqlite';

export class QueryConditions {
  readonly #conditions: string[] = [];
  readonly #parameters: SQLInputValue[] = [];

  /** A condition with its `?` placeholders and their values, in order. */
  add(condition: string, ...parameters: readonly SQLInputValue[]): void {
    this.#conditions.push(condition);
    this.#parameters.push(...parameters);
  }

  /** `column = value`, unless the value is absent. */
  equals(column: string, value: string | null | undefined): void {
    if (value !== undefined && value !== null) this.add(`${column} = ?`, value);
  }

  /** `column IN (values)`, unless the list is absent or empty (which means: any). */
  anyOf(column: string, values: readonly string[] | null | undefined): void {
    if (values && values.length > 0) this.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
  }

  /** `WHERE a AND b ...`, or '' when there is no condition. */
  where(): string {
    return this.#conditions.length === 0 ? '' : `WHERE ${this.#conditions.join(' AND ')}`;
  }

  parameters(): SQLInputValue[] {
    return [...this.#parameters];
  }
}
