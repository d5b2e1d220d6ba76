/**
 * The composition root: reads nothing itself, builds the adapters from a Config and wires them.
 * Everything that opens a port or a file is started here and closed by the returned handle, so tests
 * start the real service exactly as `lwm2m-hub serve` does.
 */
import { join, resolve } from 'node:path';
import type { Config } from './adapters/config/Config.ts';
import type { Logger } from './adapters/logging/Logger.ts';
import { loadMasterKey } from './adapters/crypto/MasterKey.ts';
import { loadNodeId } from './adapters/config/NodeId.ts';
import type { MasterKeyResult } from './adapters/crypto/MasterKey.ts';
import { openEventStore } from './adapters/eventstore/openEventStore.ts';
import type { EventStore } from './adapters/eventstore/EventStore.ts';
import type { SecretSealer } from './domain/SealedSecret.ts';
import { ApiTokenRegistry } from './app/auth/ApiTokenRegistry.ts';
import { DeviceImportService } from './app/devices/DeviceImportService.ts';
import { readDeviceCsv } from './adapters/csv/DeviceCsvReader.ts';
import { DeviceDecommission } from './app/devices/DeviceDecommission.ts';
import { OperationRequestService } from './app/operations/OperationRequestService.ts';
import { ReadYourWrites } from './app/kernel/ReadYourWrites.ts';
import { deviceAsOf } from './projections/devices/DeviceAsOf.ts';
import { startGraphQLServer } from './adapters/http/GraphQLServer.ts';
import { openHttpListener } from './adapters/http/HttpListener.ts';
import type { RunningGraphQLServer } from './adapters/http/GraphQLServer.ts';
import { graphqlApi } from './graphql/GraphQLApi.ts';
import { DeviceQueries } from './projections/devices/DeviceQueries.ts';
import { DeviceHistoryQueries } from './projections/history/DeviceHistoryQueries.ts';
import { AlarmQueries } from './projections/alarms/AlarmQueries.ts';
import { BootstrapSessionQueries } from './projections/bootstrap/BootstrapSessionQueries.ts';
import { DeviceEventQueries } from './projections/deviceevents/DeviceEventQueries.ts';
import { DevicePropertyQueries } from './projections/deviceproperties/DevicePropertyQueries.ts';
import { MeasurementQueries } from './projections/measurements/MeasurementQueries.ts';
import { DeviceProtocolQueries } from './projections/protocols/DeviceProtocolQueries.ts';
import { ValidationRuleService } from './app/protocols/ValidationRuleService.ts';
import { AutoObserver } from './app/protocols/AutoObserver.ts';
import { Projector } from './projections/Projector.ts';
import { ReadModelDatabase } from './projections/ReadModelDatabase.ts';
import { readModelProjections } from './projections/ReadModels.ts';
import { systemClock } from './domain/Clock.ts';
import { openUdpCoapEndpoint } from './adapters/coap/DatagramCoapEndpoint.ts';
import type { DatagramCoapEndpoint } from './adapters/coap/DatagramCoapEndpoint.ts';
import { RegistrationService } from './app/registration/RegistrationService.ts';
import { EventStoreDeviceDirectory } from './app/devices/DeviceDirectory.ts';
import { startDeviceManagement } from './app/operations/DeviceManagement.ts';
import { DeviceManagementApi } from './app/operations/DeviceManagementApi.ts';
import { TelemetryService } from './app/telemetry/TelemetryService.ts';
import { DeviceProtocolService } from './app/protocols/DeviceProtocolService.ts';
import { OperationQueries } from './projections/operations/OperationQueries.ts';
import { FirmwareQueries } from './projections/firmware/FirmwareQueries.ts';
import { ShellHistoryQueries } from './projections/shell/ShellHistoryQueries.ts';
import { ShellService } from './app/shell/ShellService.ts';
import { coreObjectCatalog } from './domain/lwm2m/StaticObjectModelCatalog.ts';
import { BootstrapServer } from './app/bootstrap/BootstrapServer.ts';
import type { BootstrapChannel } from './app/bootstrap/BootstrapServer.ts';
import { BootstrapDeviceDirectory } from './app/bootstrap/BootstrapDeviceDirectory.ts';
import { bootstrapDefaultsFor, serviceUri } from './app/bootstrap/ServiceUris.ts';
import { ChannelRoutingCoapEndpoint } from './adapters/coap/ChannelRoutingCoapEndpoint.ts';
import { CoapRouter } from './adapters/coap/CoapRouter.ts';
import type { CoapEndpoint, CoapPeer, CoapRequestHandler, IncomingCoapRequest } from './adapters/coap/CoapEndpoint.ts';
import { openSecureEndpoints } from './adapters/security/SecureEndpoints.ts';
import { DeviceSecurity } from './app/security/DeviceSecurity.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { FirmwareRepository } from './app/firmware/FirmwareRepository.ts';
import { firmwarePackageCoapHandler, firmwarePackagePathSegment, firmwarePackageUri } from './adapters/firmware/FirmwarePackageCoapResource.ts';
import { firmwarePackageHttpRoute, firmwarePackageHttpUri } from './adapters/firmware/FirmwarePackageHttpRoute.ts';
import { FirmwareUpdateRunner } from './app/firmware/FirmwareUpdateRunner.ts';
import { FirmwareService } from './app/firmware/FirmwareService.ts';
import { FirmwarePackageAccess } from './app/firmware/FirmwarePackageAccess.ts';
import type { SecureEndpoints } from './adapters/security/SecureEndpoints.ts';
import { openStreamEndpoints } from './adapters/security/StreamEndpoints.ts';
import type { StreamEndpoints } from './adapters/security/StreamEndpoints.ts';
import { loadServerCertificate, readTrustStore } from './adapters/security/CertificateFiles.ts';
import { healthRoute } from './adapters/http/HealthRoutes.ts';
import { measureAppends } from './adapters/metrics/MeasuredEventStore.ts';
import { metricsRoute } from './adapters/metrics/MetricsRoute.ts';
import { PrometheusMetrics } from './adapters/metrics/PrometheusMetrics.ts';
import { startServiceMetrics } from './app/health/ServiceMetrics.ts';
import { evaluateReadiness, eventStoreCheck, readModelsCheck, socketsCheck } from './app/health/Readiness.ts';
import { announceRunningService } from './adapters/runtime/RunningServiceFile.ts';
import { AggregateCommandRunner } from './app/kernel/AggregateCommandRunner.ts';
import { LogFeed } from './app/kernel/LogFeed.ts';

export interface RunningService {
  /** This node's id, recorded in the registrations it holds (several nodes may share one event store). */
  readonly nodeId: string;
  readonly store: EventStore;
  readonly sealer: SecretSealer;
  readonly projector: Projector;
  readonly tokens: ApiTokenRegistry;
  readonly graphql: RunningGraphQLServer;
  /** Device protocols (DDF uploads, functionalities) and the telemetry their mappings produce. */
  readonly protocols: DeviceProtocolService;
  readonly telemetry: TelemetryService;
  /** The LwM2M server's plain CoAP endpoint (`coapHost`:`coapPort`) and its registrations. */
  readonly coap: DatagramCoapEndpoint;
  readonly registrations: RegistrationService;
  /** Operations, observations and reported values: the application API the GraphQL layer calls. */
  readonly deviceManagement: DeviceManagementApi;
  /** The bootstrap server's plain CoAP endpoint (`coapHost`:`bootstrapPort`). */
  readonly bootstrap: DatagramCoapEndpoint;
  /** The DTLS (PSK) ports: the LwM2M server's (`coapsPort`) and the bootstrap server's (`bootstrapDtlsPort`). */
  readonly secure: SecureEndpoints;
  /** CoAP over TCP and TLS (RFC 8323): the LwM2M server's (`coapTcpPort`, `coapsTcpPort`) and the bootstrap server's (`bootstrapTcpPort`, `bootstrapTlsPort`). */
  readonly streams: StreamEndpoints;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /**
   * An event store the caller opened and closes, shared with other nodes of the same process (tests
   * of several nodes on one in-memory store); absent: the configured store, which the service closes.
   */
  readonly store?: EventStore;
}

export async function startService(config: Config, env: NodeJS.ProcessEnv, logger: Logger, options: ServiceOptions = {}): Promise<RunningService> {
  const dataDir = resolve(config.dataDir);
  const masterKey = loadMasterKey(dataDir, env);
  logger.info({ source: masterKey.source, keyFile: masterKey.source === 'environment' ? undefined : masterKey.keyFile }, 'master key loaded');
  const node = loadNodeId(dataDir, config.nodeId);
  logger.info(node, 'node id');
  // Metrics (Prometheus, GET /metrics): appends are measured from the first one on.
  const metrics = new PrometheusMetrics();
  const store = measureAppends(options.store ?? (await openEventStore({ url: config.eventStoreUrl, dataDir, logger })), metrics);
  // What a later step had opened is closed again, last opened first, before its error goes on: a
  // failed start leaves no open file, socket or SQLite writer behind, so the next start can run at once.
  const closers: Closer[] = options.store === undefined ? [{ part: 'event store', close: () => store.close() }] : [];
  try {
    return await wireService(config, dataDir, masterKey, node.nodeId, store, metrics, closers, logger);
  } catch (error) {
    await closeAll(closers, logger);
    throw namingTakenPort(error);
  }
}

/** A part of the running service and how to close it; the service closes its parts last opened first. */
interface Closer {
  /** What it is, as the stop logs it. */
  readonly part: string;
  readonly close: () => Promise<void> | void;
}

async function closeAll(closers: Closer[], logger: Logger): Promise<void> {
  for (const { close } of closers.reverse()) {
    try {
      await close();
    } catch (error) {
      logger.error({ err: error }, 'closing after a failed start failed');
    }
  }
}

/** A port someone else holds (EADDRINUSE from listen or bind) is the usual failed start: say which. */
function namingTakenPort(error: unknown): unknown {
  if (!(error instanceof Error) || !('code' in error) || error.code !== 'EADDRINUSE') return error;
  const where = 'address' in error && 'port' in error ? `${String(error.address)}:${String(error.port)}` : 'a configured address';
  return new Error(`cannot listen on ${where}: the port is already in use by another process`, { cause: error });
}

async function wireService(
  config: Config,
  dataDir: string,
  masterKey: MasterKeyResult,
  nodeId: string,
  store: EventStore,
  metrics: PrometheusMetrics,
  closers: Closer[],
  logger: Logger,
): Promise<RunningService> {
  logger.info({ dataDir, eventStore: config.eventStoreUrl === '' ? 'sqlite' : 'eventstoredb', head: await store.headPosition() }, 'event store open');
  // The process's one way to run a command on a stream, and its one reader of the log for live state.
  const runner = new AggregateCommandRunner({ store });
  const logFeed = new LogFeed({ store });
  closers.push({ part: 'log feed', close: () => logFeed.close() });

  // Read models: their own SQLite file, projected from the log from each one's checkpoint.
  const readModels = ReadModelDatabase.open(dataDir);
  closers.push({ part: 'read models', close: () => readModels.close() });
  const projector = new Projector({ store, feed: logFeed, database: readModels, projections: readModelProjections, logger });
  projector.start();
  closers.push({ part: 'projector', close: () => projector.close() });
  // Read-your-writes, one for every entry point: an answer that follows a write waits here for its position.
  const readYourWrites = new ReadYourWrites({ readModels: projector, log: store });

  // Device protocols, and the telemetry service that maps values with them: one instance of each for
  // the API and the LwM2M server, as the telemetry service keeps each device's alarm state.
  const protocols = new DeviceProtocolService({ store, clock: systemClock, logger, runner, feed: logFeed });
  const telemetry = new TelemetryService({ store, protocols, clock: systemClock, runner });

  // The LwM2M server on plain CoAP: the registration interface (LwM2M Transport 1.1 section 6.4).
  const registrations = await RegistrationService.start({ store, runner, feed: logFeed, nodeId, directory: new EventStoreDeviceDirectory(store, logFeed), clock: systemClock, logger });
  closers.push({ part: 'registrations', close: () => registrations.close() });
  const coap = await openUdpCoapEndpoint({ host: config.coapHost, port: config.coapPort, logger, receiveBufferBytes: config.udpReceiveBufferBytes });
  closers.push({ part: 'lwm2m server (CoAP)', close: () => coap.close() });
  // The HTTP port (GraphQL, firmware packages, health, metrics), bound now as firmware updates name it
  // in package URIs; it answers 503 until the API is served on it, last.
  const http = await openHttpListener({ host: config.httpHost, port: config.httpPort });
  closers.push({ part: 'http port', close: () => http.close() });
  // The same LwM2M server over DTLS with PSK (LwM2M Transport 1.1 section 5.2.1), and the bootstrap server's DTLS port.
  // The certificate suites (X509 and RPK devices): the server's certificate, generated on the first
  // start unless configured, and the trust store of device certificates.
  const serverCertificate = await loadServerCertificate({
    certificatePath: config.serverCertificate,
    privateKeyPath: config.serverPrivateKey,
    dataDir,
    commonName: config.publicHost,
    clock: systemClock,
    logger,
  });
  const trustAnchors = await readTrustStore(config.trustStore);
  logger.info({ serverCertificate: serverCertificate.source, trustAnchors: trustAnchors.length }, 'certificates loaded');
  // The secure ports' PSK and certificate accounts, and the audit of their failed handshakes and identity mismatches.
  const security = new DeviceSecurity({ store, sealer: masterKey.sealer, clock: systemClock, logger, trustAnchors });
  closers.push({ part: 'security audit', close: () => security.audit.close() });
  const certificateAccounts = security.certificateAccounts;
  const secure = await openSecureEndpoints({
    host: config.coapHost,
    receiveBufferBytes: config.udpReceiveBufferBytes,
    lwm2mPort: config.coapsPort,
    bootstrapPort: config.bootstrapDtlsPort,
    pskLookups: { lwm2m: security.keys.lwm2mLookup, bootstrap: security.keys.bootstrapLookup },
    sealer: masterKey.sealer,
    clock: systemClock,
    logger,
    ...(certificateAccounts === undefined ? {} : { certificates: { server: serverCertificate.credential, lookup: certificateAccounts.dtlsLookup } }),
    sessionStateDir: dataDir,
  });
  closers.push({ part: 'lwm2m and bootstrap servers (DTLS)', close: () => secure.close() });
  const stopDtlsAudits = [security.auditDtlsHandshakes(secure.lwm2mTransport.server, 'lwm2m'), security.auditDtlsHandshakes(secure.bootstrapTransport.server, 'bootstrap')];
  closers.push({ part: 'DTLS handshake audits', close: () => stopDtlsAudits.forEach((stop) => stop()) });
  const dtlsIdentityOf = {
    lwm2m: security.dtlsIdentityOf((peer) => secure.lwm2mTransport.sessionOf(peer)),
    bootstrap: security.dtlsIdentityOf((peer) => secure.bootstrapTransport.sessionOf(peer)),
  };
  // The same servers over TCP and TLS (RFC 8323, LwM2M binding T), with the DTLS ports' PSK accounts and audit.
  const streams = await openStreamEndpoints({
    host: config.coapHost,
    lwm2mTcpPort: config.coapTcpPort,
    lwm2mTlsPort: config.coapsTcpPort,
    bootstrapTcpPort: config.bootstrapTcpPort,
    bootstrapTlsPort: config.bootstrapTlsPort,
    pskKeys: { lwm2m: security.tlsKeys.lwm2mKey, bootstrap: security.tlsKeys.bootstrapKey, prepare: () => security.tlsKeys.prepare() },
    onHandshakeFailed: (role, failure) => security.auditTlsHandshakeFailure(role, failure),
    logger,
    ...(certificateAccounts === undefined ? {} : { certificates: { server: serverCertificate.credential, lookup: certificateAccounts.tlsLookup } }),
  });
  closers.push({ part: 'lwm2m and bootstrap servers (TCP, TLS)', close: () => streams.close() });
  // A request to a TCP or TLS device goes over its connection: the registration's channel picks the endpoint.
  const lwm2mEndpoint = new ChannelRoutingCoapEndpoint(coap, secure.lwm2m, (peer) => secure.lwm2mTransport.sessionOf(peer) !== undefined, {
    tcp: streams.lwm2mTcp,
    tls: streams.lwm2mTls,
    channelOf: (peer) => registrations.registrationAt(peer)?.channel,
  });
  // The registration interface of each port: the channel it records, and the PSK identity the DTLS or TLS port authenticated.
  const registrationHandlers = {
    plain: registrations.handler('plain'),
    dtls: security.dtlsRegistrationHandler(registrations, (peer) => secure.lwm2mTransport.sessionOf(peer)),
    tcp: registrations.handler('tcp'),
    tls: security.tlsRegistrationHandler(registrations, (peer) => streams.lwm2mTls.authenticationOf(peer)),
  };
  const pskIdentityOf = (request: IncomingCoapRequest): string | null => {
    const port = lwm2mEndpoint.arrivedOn(request);
    return port === 'dtls' ? dtlsIdentityOf.lwm2m(request.peer) : port === 'tls' ? streams.lwm2mTls.pskIdentityOf(request.peer) : null;
  };
  // Firmware packages are served on the LwM2M server's endpoint too (`GET /fw/<id>`).
  const firmwareRepository = new FirmwareRepository({ store, dataDir, clock: systemClock, newId: randomUUID, runner });
  // A package goes only to the device whose update to it runs: by address and DTLS identity over CoAP, by token over HTTP.
  // The grants are the updates under way in the log, so any node serves a download another node's update granted.
  const packageAccess = await FirmwarePackageAccess.following(logFeed, registrations, masterKey.sealer);
  // The LwM2M server's uplink router: packages at `/fw`, Send at `/dp` (once device management is built),
  // and the registration interface of the port the request arrived on for the rest.
  const lwm2mUplink = new CoapRouter((request) => registrationHandlers[lwm2mEndpoint.arrivedOn(request)](request));
  lwm2mUplink.route(firmwarePackagePathSegment, firmwarePackageCoapHandler({ repository: firmwareRepository, access: packageAccess, pskIdentityOf }));
  // Device management and information reporting on the same endpoint (LwM2M Core 1.1 sections 6.3, 6.4).
  const management = await startDeviceManagement({
    store,
    runner,
    feed: logFeed,
    endpoint: lwm2mEndpoint,
    registrations,
    catalog: coreObjectCatalog(),
    clock: systemClock,
    logger,
    telemetry,
    contentSources: { packages: firmwareRepository, sealer: masterKey.sealer },
  });
  closers.push({ part: 'device management', close: () => management.close() });
  lwm2mUplink.route('dp', management.send);
  // Notifications are the responses that match no request (RFC 7641 section 3.2).
  lwm2mEndpoint.handleUnsolicited(management.observations.onUnsolicited);
  lwm2mEndpoint.handle(lwm2mUplink.handle);
  const deviceManagement = DeviceManagementApi.over(management, readModels.db, projector);
  // Auto-observe: the resources the device protocols mark are observed on every Register, and for the
  // devices still registered at start where no observation survived.
  const autoObserver = await AutoObserver.start({ store, nodeId, feed: logFeed, protocols, deviceManagement, registrations, observations: management.observations, logger });
  closers.push({ part: 'auto-observe', close: () => autoObserver.close() });
  // Firmware updates: a device pulls from the plain CoAP endpoint or from the HTTP port.
  const packageBases = { coap: serviceUri('coap', config.publicHost, coap.local.port), http: serviceUri('http', config.publicHost, http.port) };
  const firmwareUpdates = new FirmwareUpdateRunner({
    store,
    api: deviceManagement,
    repository: firmwareRepository,
    clock: systemClock,
    logger: logger.child({ component: 'firmware' }),
    newId: randomUUID,
    packageUris: (firmwareId) => [firmwarePackageUri(packageBases.coap, firmwareId), firmwarePackageHttpUri(packageBases.http, firmwareId)],
    timeoutMs: 30 * 60_000,
    registrations,
    sealer: masterKey.sealer,
    newAccessToken: () => randomBytes(32),
    runner,
    feed: logFeed,
  });
  closers.push({ part: 'firmware updates', close: () => firmwareUpdates.close() });
  const firmware = new FirmwareService({ repository: firmwareRepository, runner: firmwareUpdates, queries: new FirmwareQueries(readModels.db), projector, readYourWrites });
  const resumedUpdates = await firmwareUpdates.resume();
  if (resumedUpdates > 0) logger.info({ updates: resumedUpdates }, 'firmware updates resumed');
  logger.info(
    { host: config.coapHost, port: coap.local.port, coapsPort: secure.lwm2m.local.port, tcpPort: streams.lwm2mTcp.local.port, tlsPort: streams.lwm2mTls.local.port },
    'LwM2M server listening (CoAP, CoAP over DTLS, TCP and TLS)',
  );

  // The bootstrap server on its own plain CoAP endpoint (LwM2M Core 1.1 section 6.1).
  const bootstrap = await openUdpCoapEndpoint({ host: config.coapHost, port: config.bootstrapPort, logger, receiveBufferBytes: config.udpReceiveBufferBytes });
  closers.push({ part: 'bootstrap server (CoAP)', close: () => bootstrap.close() });
  const bootstrapServer = await BootstrapServer.start({
    store,
    runner,
    feed: logFeed,
    directory: new BootstrapDeviceDirectory(store),
    sealer: masterKey.sealer,
    clock: systemClock,
    logger,
    defaults: bootstrapDefaultsFor(
      config.publicHost,
      {
        coapPort: coap.local.port,
        coapsPort: secure.lwm2m.local.port,
        bootstrapPort: bootstrap.local.port,
        bootstrapDtlsPort: secure.bootstrap.local.port,
      },
      undefined,
      { certificate: serverCertificate.credential.certificateChain[0] ?? Buffer.alloc(0), publicKeyInfo: serverCertificate.credential.publicKeyInfo },
    ),
  });
  // One uplink router per bootstrap port; on the secure ones, a request naming another device than the
  // session's PSK identity is audited.
  const bootstrapUplink = (endpoint: CoapEndpoint, channel: BootstrapChannel): CoapRequestHandler => {
    const uplink = new CoapRouter();
    bootstrapServer.serve(uplink, endpoint, channel);
    return uplink.handle;
  };
  const tlsBootstrapIdentityOf = (peer: CoapPeer): string | null => streams.bootstrapTls.pskIdentityOf(peer);
  bootstrap.handle(bootstrapUplink(bootstrap, { kind: 'plain' }));
  secure.bootstrap.handle(
    security.auditedBootstrapHandler(bootstrapUplink(secure.bootstrap, { kind: 'psk', pskIdentityOf: (peer) => dtlsIdentityOf.bootstrap(peer) ?? undefined }), dtlsIdentityOf.bootstrap),
  );
  streams.bootstrapTcp.handle(bootstrapUplink(streams.bootstrapTcp, { kind: 'tcp' }));
  streams.bootstrapTls.handle(
    security.auditedBootstrapHandler(bootstrapUplink(streams.bootstrapTls, { kind: 'tls', pskIdentityOf: (peer) => tlsBootstrapIdentityOf(peer) ?? undefined }), tlsBootstrapIdentityOf),
  );
  closers.push({ part: 'bootstrap sessions', close: () => bootstrapServer.close() });
  logger.info(
    { host: config.coapHost, port: bootstrap.local.port, dtlsPort: secure.bootstrap.local.port, tcpPort: streams.bootstrapTcp.local.port, tlsPort: streams.bootstrapTls.local.port },
    'bootstrap server listening (CoAP, CoAP over DTLS, TCP and TLS)',
  );

  const serviceMetrics = await startServiceMetrics(metrics, {
    store,
    feed: logFeed,
    projector,
    devices: new DeviceQueries(readModels.db),
    operations: new OperationQueries(readModels.db),
    registeredDevices: () => registrations.registrations().length,
    coapEndpoints: [
      { server: 'lwm2m', traffic: () => coap.traffic() },
      { server: 'bootstrap', traffic: () => bootstrap.traffic() },
      { server: 'lwm2m-dtls', traffic: () => secure.lwm2m.traffic() },
      { server: 'bootstrap-dtls', traffic: () => secure.bootstrap.traffic() },
    ],
    dtlsServers: [
      { server: 'lwm2m', dtls: secure.lwm2mTransport.server },
      { server: 'bootstrap', dtls: secure.bootstrapTransport.server },
    ],
    streamEndpoints: streams.byServer.map(({ server, endpoint }) => ({ server, connections: () => endpoint.connectionCount })),
    clock: systemClock,
    logger,
  });
  closers.push({ part: 'metrics', close: () => serviceMetrics.close() });

  // The GraphQL API, on HTTP and WebSocket, behind bearer tokens; started last, as it calls every part.
  const tokens = new ApiTokenRegistry(store, masterKey.sealer, { runner, feed: logFeed });
  await tokens.ensureAdminToken(join(dataDir, 'admin.token'), logger);
  const validationRules = new ValidationRuleService({ store, protocols, runner });
  // Every entry point requests operations here, where the validation rules are enforced.
  const operationRequests = new OperationRequestService({ deviceManagement, rules: validationRules, readYourWrites });
  // The device shell checks commands against the shipped models and the uploaded device protocols.
  const shell = new ShellService({
    store,
    runner,
    catalog: coreObjectCatalog(),
    uploadedModels: () => protocols.uploadedModels(),
    registrations,
    operationRequests,
    deviceManagement,
    firmware,
    history: new ShellHistoryQueries(readModels.db, new OperationQueries(readModels.db), new FirmwareQueries(readModels.db)),
    readModels: projector,
    readYourWrites,
    clock: systemClock,
  });
  const graphql = await startGraphQLServer({
    listener: http,
    ...graphqlApi({
      authenticate: (token) => tokens.authenticate(token),
      services: {
        readYourWrites,
        readModels: projector,
        devices: new DeviceQueries(readModels.db),
        deviceAsOf: (endpoint, asOf) => deviceAsOf(store, endpoint, asOf),
        deviceDecommission: new DeviceDecommission({ store, runner }),
        history: new DeviceHistoryQueries(readModels.db),
        deviceImport: new DeviceImportService({ readCsv: readDeviceCsv, store, sealer: masterKey.sealer, logger, runner }),
        deviceProperties: new DevicePropertyQueries(readModels.db),
        protocols,
        protocolQueries: new DeviceProtocolQueries(readModels.db),
        validationRules,
        telemetry,
        measurements: new MeasurementQueries(readModels.db),
        deviceEvents: new DeviceEventQueries(readModels.db),
        alarms: new AlarmQueries(readModels.db),
        bootstrapSessions: new BootstrapSessionQueries(readModels.db),
        registrations,
        deviceManagement,
        operationRequests,
        shell,
        firmware,
        tokens,
        logger,
      },
    }),
    logger,
    metrics,
    routes: [
      firmwarePackageHttpRoute(firmwareRepository, packageAccess),
      metricsRoute(metrics, (token) => tokens.authenticate(token)),
      healthRoute(() => evaluateReadiness([
        eventStoreCheck(store),
        readModelsCheck(projector, systemClock),
        socketsCheck([
          { name: 'lwm2m server (CoAP)', listening: () => coap.listening },
          { name: 'bootstrap server (CoAP)', listening: () => bootstrap.listening },
          { name: 'lwm2m and bootstrap servers (DTLS)', listening: () => secure.lwm2m.listening && secure.bootstrap.listening },
          { name: 'lwm2m and bootstrap servers (TCP, TLS)', listening: () => streams.byServer.every(({ endpoint }) => endpoint.listening) },
        ]),
      ])),
    ],
  });
  closers.push({ part: 'graphql', close: () => graphql.close() });
  // The command line finds the running service (and its API) through this file.
  closers.push({ part: 'service file', close: announceRunningService(dataDir, graphql.url) });
  logger.info('lwm2m-hub ready');
  return {
    nodeId,
    store,
    sealer: masterKey.sealer,
    projector,
    tokens,
    graphql,
    protocols,
    telemetry,
    coap,
    registrations,
    deviceManagement,
    bootstrap,
    secure,
    streams,
    async close() {
      // Last opened first: the API, then the device-facing servers, then the projector, the store
      // last, so that every append already acknowledged to a client or device reaches the log.
      for (const { part, close } of closers.reverse()) {
        const started = performance.now();
        await close();
        logger.info({ part, ms: Math.round(performance.now() - started) }, 'closed');
      }
    },
  };
}
