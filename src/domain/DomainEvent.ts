/**
 * The shape every domain event has: a type name and data. Domain event data are declared as
 * interfaces of plain JSON values (strings, numbers, booleans, null, arrays, objects); TypeScript
 * cannot check an interface against the JsonValue index signature, hence `object` here and one cast
 * where events are appended.
 */
export interface DomainEvent {
  readonly type: string;
  readonly data: object;
}
