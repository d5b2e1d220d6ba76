/**
 * The fleet, a page at a time (never the whole fleet): searchable, live as devices register, update,
 * expire or change their data; and the registration CSV upload.
 */
import { useState } from 'preact/hooks';
import type { DeviceRow } from '../api/DeviceDocuments.ts';
import { deviceRowChanged, devicesQuery } from '../api/DeviceDocuments.ts';
import { useDebounced, useQuery, useSubscription } from '../api/Hooks.ts';
import { canOperate } from '../api/Session.ts';
import { ErrorMessage, OnlineBadge, StatusBadge, Time } from '../components/Common.tsx';
import { CsvUpload } from '../components/CsvUpload.tsx';
import { Link } from '../components/Link.tsx';
import { devicePath } from '../Router.ts';
import { ListTable } from '../components/ListTable.tsx';

const pageSize = 25;

export function DevicesPage() {
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  // The cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<ReadonlyArray<string | null>>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const [status, setStatus] = useState<DeviceRow['status'] | null>('ACTIVE');
  const devices = useQuery(devicesQuery, { search: search === '' ? null : search, status, first: pageSize, after });
  const applySearch = useDebounced(() => {
    setSearch(searchText.trim());
    setCursors([null]);
  }, 300);
  const reloadSoon = useDebounced(() => devices.reload(), 1000);

  useSubscription(deviceRowChanged, {}, ({ deviceChanged }) => {
    const shown = devices.data?.devices.edges.some((edge) => edge.node.endpoint === deviceChanged.endpoint) ?? false;
    if (shown) {
      devices.update((data) => ({
        devices: { ...data.devices, edges: data.devices.edges.map((edge) => (edge.node.endpoint === deviceChanged.endpoint ? { ...edge, node: deviceChanged } : edge)) },
      }));
    } else reloadSoon();
  });

  const connection = devices.data?.devices;
  const first = (cursors.length - 1) * pageSize;
  return (
    <section>
      <h1>Devices</h1>
      {canOperate.value ? <CsvUpload onImported={() => devices.reload()} /> : null}
      <div class="toolbar">
        <label for="device-search">Search</label>
        <input
          id="device-search"
          type="search"
          placeholder="endpoint, name or external id"
          value={searchText}
          onInput={(event) => {
            setSearchText(event.currentTarget.value);
            applySearch();
          }}
        />
        <label for="device-status">Status</label>
        <select
          id="device-status"
          value={status ?? ''}
          onChange={(event) => {
            const chosen = event.currentTarget.value;
            setStatus(chosen === 'ACTIVE' || chosen === 'DECOMMISSIONED' ? chosen : null);
            setCursors([null]);
          }}
        >
          <option value="ACTIVE">active</option>
          <option value="DECOMMISSIONED">decommissioned</option>
          <option value="">all</option>
        </select>
        <span class="muted" aria-live="polite">
          {connection ? `${connection.totalCount} device(s)` : ''}
        </span>
      </div>
      <ErrorMessage error={devices.error} />
      <ListTable label="Devices" columns={['Endpoint', 'Name', 'Type', 'State', 'LwM2M', 'Binding', 'Last seen']}>
        {connection?.edges.map(({ node }) => <DeviceRowView key={node.endpoint} device={node} />)}
        {connection?.edges.length === 0 ? (
          <tr>
            <td colSpan={7} class="muted">
              No device{search === '' ? ' yet: upload a registration CSV' : ` matches “${search}”`}.
            </td>
          </tr>
        ) : null}
      </ListTable>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <span>{connection && connection.edges.length > 0 ? `${first + 1}–${first + connection.edges.length} of ${connection.totalCount}` : ''}</span>
        <button type="button" disabled={!connection?.pageInfo.hasNextPage} onClick={() => setCursors([...cursors, connection?.pageInfo.endCursor ?? null])}>
          Next
        </button>
      </nav>
    </section>
  );
}

function DeviceRowView({ device }: { device: DeviceRow }) {
  return (
    <tr data-endpoint={device.endpoint}>
      <td>
        <Link href={devicePath(device.endpoint)}>{device.endpoint}</Link>
      </td>
      <td>{device.name}</td>
      <td>{device.type}</td>
      <td>{device.status === 'DECOMMISSIONED' ? <StatusBadge status="decommissioned" /> : <OnlineBadge online={device.online} />}</td>
      <td>{device.registration?.lwm2mVersion ?? '—'}</td>
      <td>{device.registration?.binding ?? '—'}</td>
      <td>
        <Time value={device.lastSeen} />
      </td>
    </tr>
  );
}
