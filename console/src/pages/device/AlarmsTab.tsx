import { AlarmList } from '../../components/AlarmList.tsx';

export function AlarmsTab({ endpoint }: { endpoint: string }) {
  return (
    <section aria-labelledby="alarms-heading">
      <h2 id="alarms-heading">Alarms</h2>
      <AlarmList endpoint={endpoint} />
    </section>
  );
}
