/** One device: its registration and data, live, with a tab per workflow. */
import { useState } from 'preact/hooks';
import type { DeviceDetail, Operation } from '../api/DeviceDocuments.ts';
import { decommissionMutation, deviceChanged, deviceQuery, operationsQuery, operationUpdated } from '../api/DeviceDocuments.ts';
import { useQuery, useSubscription } from '../api/Hooks.ts';
import { api, canOperate } from '../api/Session.ts';
import { ErrorMessage, errorOf, OnlineBadge, StatusBadge } from '../components/Common.tsx';
import { Link } from '../components/Link.tsx';
import { devicePath } from '../Router.ts';
import { AlarmsTab } from './device/AlarmsTab.tsx';
import { BootstrapTab } from './device/BootstrapTab.tsx';
import { EventsTab } from './device/EventsTab.tsx';
import { FirmwareTab } from './device/FirmwareTab.tsx';
import { HistoryTab } from './device/HistoryTab.tsx';
import { MeasurementsTab } from './device/MeasurementsTab.tsx';
import { ObjectTree } from './device/ObjectTree.tsx';
import { OperationsTab } from './device/OperationsTab.tsx';
import { OverviewTab } from './device/OverviewTab.tsx';
import { ShellTab } from './device/ShellTab.tsx';

const tabs: ReadonlyArray<readonly [string, string]> = [
  ['overview', 'Overview'],
  ['objects', 'Objects'],
  ['operations', 'Operations'],
  ['shell', 'Shell'],
  ['measurements', 'Measurements'],
  ['events', 'Events'],
  ['alarms', 'Alarms'],
  ['history', 'History'],
  ['bootstrap', 'Bootstrap'],
  ['firmware', 'Firmware'],
];

export function DevicePage({ endpoint, tab }: { endpoint: string; tab: string }) {
  const device = useQuery(deviceQuery, { endpoint });
  useSubscription(deviceChanged, { endpoint }, ({ deviceChanged: changed }) => device.update(() => ({ device: changed })));
  // The device's operations, shared by the object tree (each action's outcome) and the Operations tab.
  const operations = useQuery(operationsQuery, { endpoint });
  useSubscription(operationUpdated, { endpoint }, ({ operationUpdated: changed }) =>
    operations.update(({ operations: list }) => ({
      operations: list.some((each) => each.id === changed.id) ? list.map((each) => (each.id === changed.id ? changed : each)) : [...list, changed],
    })),
  );

  const detail = device.data?.device;
  if (device.loading && detail === undefined) return <p class="loading">Loading {endpoint}…</p>;
  if (device.error) return <ErrorMessage error={device.error} />;
  if (detail === null || detail === undefined) {
    return (
      <section>
        <h1>{endpoint}</h1>
        <p>There is no device with this endpoint. <Link href="/devices">All devices</Link></p>
      </section>
    );
  }
  const list = operations.data?.operations ?? [];
  return (
    <section class="device">
      <header class="device-header">
        <p class="crumbs">
          <Link href="/devices">Devices</Link> /
        </p>
        <h1>
          {detail.name}
          {detail.name === detail.endpoint ? null : <span class="muted"> {detail.endpoint}</span>}
        </h1>
        <span data-testid="device-state">{detail.status === 'DECOMMISSIONED' ? <StatusBadge status="DECOMMISSIONED" /> : <OnlineBadge online={detail.online} />}</span>
        {canOperate.value && detail.status === 'ACTIVE' ? <Decommission endpoint={endpoint} /> : null}
      </header>
      <nav class="tabs" aria-label="Device sections">
        {tabs.map(([id, label]) => (
          <Link key={id} href={devicePath(endpoint, id)} current={tab === id}>
            {label}
          </Link>
        ))}
      </nav>
      <TabContent device={detail} tab={tab} operations={list} />
    </section>
  );
}

function TabContent({ device, tab, operations }: { device: DeviceDetail; tab: string; operations: readonly Operation[] }) {
  switch (tab) {
    case 'objects':
      return <ObjectTree device={device} operations={operations} />;
    case 'operations':
      return <OperationsTab endpoint={device.endpoint} operations={operations} />;
    case 'shell':
      return <ShellTab device={device} />;
    case 'measurements':
      return <MeasurementsTab endpoint={device.endpoint} />;
    case 'events':
      return <EventsTab endpoint={device.endpoint} />;
    case 'alarms':
      return <AlarmsTab endpoint={device.endpoint} />;
    case 'history':
      return <HistoryTab endpoint={device.endpoint} />;
    case 'bootstrap':
      return <BootstrapTab endpoint={device.endpoint} />;
    case 'firmware':
      return <FirmwareTab endpoint={device.endpoint} />;
    default:
      return <OverviewTab device={device} />;
  }
}

function Decommission({ endpoint }: { endpoint: string }) {
  const [error, setError] = useState<Error | undefined>(undefined);
  return (
    <span class="header-action">
      <button
        type="button"
        class="danger"
        onClick={() => {
          if (!confirm(`Decommission ${endpoint}? It will no longer be allowed to register.`)) return;
          api()
            .request(decommissionMutation, { endpoint })
            .then(
              () => setError(undefined),
              (failure: unknown) => setError(errorOf(failure)),
            );
        }}
      >
        Decommission
      </button>
      <ErrorMessage error={error} />
    </span>
  );
}
