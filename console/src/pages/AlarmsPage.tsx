import { AlarmList } from '../components/AlarmList.tsx';

/** Alarms across the fleet, filtered by severity and status, a page at a time. */
export function AlarmsPage() {
  return (
    <section aria-labelledby="fleet-alarms-heading">
      <h1 id="fleet-alarms-heading">Alarms</h1>
      <AlarmList endpoint={null} />
    </section>
  );
}
