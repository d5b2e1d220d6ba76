/** A value that survives JSON.stringify / JSON.parse unchanged: the shape of every event's data. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
