import type { ComponentChildren } from 'preact';

/** A column heading; false leaves the column out (e.g. an action column a viewer does not get). */
export type Column = string | { readonly label: string; readonly hidden: true } | false;

/** A table of rows with a labelled header row: every list of the console. */
export function ListTable({ label, columns, class: className, children }: { label: string; columns: readonly Column[]; class?: string; children: ComponentChildren }) {
  // The wrapper scrolls sideways on a narrow screen, so that the columns keep their width.
  return (
    <div class="table-scroll">
      <table class={className === undefined ? 'list' : `list ${className}`} aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) =>
              column === false ? null : typeof column === 'string' ? (
                <th scope="col" key={column}>
                  {column}
                </th>
              ) : (
                <th scope="col" key={column.label}>
                  <span class="visually-hidden">{column.label}</span>
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
