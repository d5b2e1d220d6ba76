/** The device's registration (address, channel, lifetime, binding, version, queue mode), its data and its security audit. */
import type { ComponentChildren } from 'preact';
import type { DeviceDetail } from '../../api/DeviceDocuments.ts';
import { deviceHistoryQuery } from '../../api/DeviceDocuments.ts';
import { useQuery } from '../../api/Hooks.ts';
import { ErrorMessage, JsonText, Time } from '../../components/Common.tsx';
import { ListTable } from '../../components/ListTable.tsx';

/** The registration channels (the server port and how it authenticated the device), as operators read them. */
const channelNames: Readonly<Record<string, string>> = {
  plain: 'plain CoAP',
  psk: 'DTLS (PSK)',
  certificate: 'DTLS (certificate)',
  tcp: 'CoAP over TCP',
  tls: 'CoAP over TLS (PSK)',
  'tls-certificate': 'CoAP over TLS (certificate)',
};

export function OverviewTab({ device }: { device: DeviceDetail }) {
  const registration = device.registration;
  return (
    <div class="columns">
      <section class="card" aria-labelledby="registration-heading">
        <h2 id="registration-heading">Registration</h2>
        {registration === null ? (
          <p class="muted">Not registered{device.lastSeen ? '' : ' yet'}.</p>
        ) : (
          <dl class="facts">
            <Fact name="Address">
              {registration.address}:{registration.port}
            </Fact>
            <Fact name="Channel">{channelNames[registration.channel] ?? registration.channel}</Fact>
            <Fact name="Lifetime">{registration.lifetime} s</Fact>
            <Fact name="Binding">{registration.binding}</Fact>
            <Fact name="LwM2M version">{registration.lwm2mVersion}</Fact>
            <Fact name="Queue mode">{registration.queueMode ? 'yes' : 'no'}</Fact>
            <Fact name="Registered">
              <Time value={registration.registeredAt} />
            </Fact>
            <Fact name="Last seen">
              <Time value={device.lastSeen} />
            </Fact>
            <Fact name="Registration id">{registration.registrationId}</Fact>
            <Fact name="Objects">{registration.objectLinks.map((link) => `/${link.objectId}${link.instanceId === null ? '' : `/${link.instanceId}`}`).join(' ')}</Fact>
          </dl>
        )}
      </section>
      <section class="card" aria-labelledby="data-heading">
        <h2 id="data-heading">Registration data</h2>
        <dl class="facts">
          <Fact name="External id">
            {device.externalId} ({device.idType})
          </Fact>
          <Fact name="Type">{device.type}</Fact>
          <Fact name="Security mode">{device.securityMode}</Fact>
          {device.lwm2mPskId === null ? null : <Fact name="PSK identity">{device.lwm2mPskId}</Fact>}
          <Fact name="Binding mode">{device.bindingMode}</Fact>
          <Fact name="Shell">{device.shellEnabled ? 'enabled' : 'disabled'}</Fact>
          <Fact name="Imported">
            <Time value={device.createdAt} />
          </Fact>
          <Fact name="Updated">
            <Time value={device.updatedAt} />
          </Fact>
        </dl>
        {device.properties.length > 0 ? (
          <>
            <h3>Reported by the device</h3>
            <dl class="facts">
              {device.properties.map((property) => (
                <Fact key={property.name} name={property.name}>
                  {property.value}
                </Fact>
              ))}
            </dl>
          </>
        ) : null}
      </section>
      <SecurityAudit endpoint={device.endpoint} />
    </div>
  );
}

function Fact({ name, children }: { name: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </>
  );
}

function SecurityAudit({ endpoint }: { endpoint: string }) {
  const audit = useQuery(deviceHistoryQuery, { endpoint, category: 'security', first: 20, after: null });
  const entries = audit.data?.deviceHistory.edges ?? [];
  return (
    <section class="card wide" aria-labelledby="security-heading">
      <h2 id="security-heading">Security audit</h2>
      <ErrorMessage error={audit.error} />
      {entries.length === 0 ? (
        <p class="muted">No DTLS or identity incident recorded.</p>
      ) : (
        <ListTable label="Security audit" columns={['When', 'Event', 'Details']}>
          {entries.map(({ node }) => (
            <tr key={node.position}>
              <td>
                <Time value={node.recordedAt} />
              </td>
              <td>{node.type}</td>
              <td>
                <JsonText value={node.data} />
              </td>
            </tr>
          ))}
        </ListTable>
      )}
    </section>
  );
}
