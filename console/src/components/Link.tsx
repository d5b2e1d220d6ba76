import type { ComponentChildren } from 'preact';
import { navigate } from '../Router.ts';

/** An in-console link: a real <a href> (open in a new tab works) that moves without a reload. */
export function Link({ href, current, children }: { href: string; current?: boolean; children: ComponentChildren }) {
  return (
    <a
      href={href}
      aria-current={current === true ? 'page' : undefined}
      onClick={(event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
