/** The console's frame: sign-in until a token is accepted, then the navigation and the page of the current path. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LiveState } from './api/GraphQLClient.ts';
import { canOperate, liveState, resumeSession, session, signOut } from './api/Session.ts';
import type { Role } from './api/SessionDocuments.ts';
import { Link } from './components/Link.tsx';
import { AlarmsPage } from './pages/AlarmsPage.tsx';
import { DevicePage } from './pages/DevicePage.tsx';
import { DevicesPage } from './pages/DevicesPage.tsx';
import { FirmwarePage } from './pages/FirmwarePage.tsx';
import { ProtocolPage } from './pages/ProtocolPage.tsx';
import { ProtocolsPage } from './pages/ProtocolsPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { currentPath, navigate, pathSegments } from './Router.ts';

export function App() {
  const [resuming, setResuming] = useState(true);
  useEffect(() => {
    void resumeSession().finally(() => setResuming(false));
  }, []);
  if (resuming) return <p class="loading">Loading…</p>;
  const signedIn = session.value;
  if (signedIn === undefined) return <SignInPage />;
  return <Frame role={signedIn.role} />;
}

const liveLabels: Readonly<Record<LiveState, string>> = { idle: '', connecting: 'connecting…', live: '● live', reconnecting: 'reconnecting…' };

function Frame({ role }: { role: Role }) {
  const main = useRef<HTMLElement>(null);
  const path = currentPath.value;
  const previousPath = useRef(path);
  useEffect(() => {
    const previous = pathSegments(previousPath.current);
    previousPath.current = path;
    const current = pathSegments(path);
    // After moving to another page, focus goes to its content, so that a keyboard or screen-reader user
    // starts there rather than on the link they left (WCAG 2.4.3); between the tabs of one device it
    // stays on the tab list, where the user is.
    const sameDevice = current[0] === 'devices' && previous[0] === 'devices' && current[1] !== undefined && current[1] === previous[1];
    if (previous.join('/') !== current.join('/') && !sameDevice) main.current?.focus();
  }, [path]);
  const [section = 'devices'] = pathSegments(path);
  return (
    <div class="frame">
      <header class="top">
        <a class="skip" href="#main">Skip to content</a>
        <span class="brand">lwm2m-hub</span>
        <nav aria-label="Sections">
          <Link href="/devices" current={section === 'devices'}>Devices</Link>
          <Link href="/protocols" current={section === 'protocols'}>Device protocols</Link>
          <Link href="/alarms" current={section === 'alarms'}>Alarms</Link>
          <Link href="/firmware" current={section === 'firmware'}>Firmware</Link>
        </nav>
        <span class={`live ${liveState.value}`} role="status" data-testid="live-state">
          {liveLabels[liveState.value]}
        </span>
        <span class="who" data-testid="role">
          {role.toLowerCase()}
          {canOperate.value ? '' : ' (read only)'}
        </span>
        <button
          type="button"
          class="quiet"
          onClick={() => {
            signOut();
            navigate('/');
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        <Page />
      </main>
    </div>
  );
}

function Page() {
  const [section, id, tab] = pathSegments(currentPath.value);
  switch (section) {
    case undefined:
    case 'devices':
      return id === undefined ? <DevicesPage /> : <DevicePage endpoint={id} tab={tab ?? 'overview'} />;
    case 'protocols':
      return id === undefined ? <ProtocolsPage /> : <ProtocolPage objectId={Number(id)} />;
    case 'alarms':
      return <AlarmsPage />;
    case 'firmware':
      return <FirmwarePage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page at {currentPath.value}. <Link href="/devices">Devices</Link>
          </p>
        </section>
      );
  }
}
