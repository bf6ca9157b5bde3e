import { num, signed } from '../format';

interface IntervalPlotProps {
  label: string;
  difference: number | null;
  ci95: number[] | null;
  /** Whether a positive difference (b − a) is good. */
  higherIsBetter: boolean;
}

const WIDTH = 220;
const HEIGHT = 28;
const PAD = 10;

/**
 * b − a with its 95% interval, drawn around a zero line: an interval that does not cross zero is a
 * difference the data supports. The numbers are also in the table; the drawing is a summary.
 */
export function IntervalPlot({ label, difference, ci95, higherIsBetter }: IntervalPlotProps) {
  if (difference === null || !ci95 || ci95.length !== 2) {
    return <span className="muted">not enough data</span>;
  }
  const [low, high] = ci95 as [number, number];
  const extent = Math.max(Math.abs(low), Math.abs(high), Math.abs(difference)) * 1.1 || 1;
  const x = (value: number) => PAD + ((value + extent) / (2 * extent)) * (WIDTH - 2 * PAD);
  const better = higherIsBetter ? low > 0 : high < 0;
  const worse = higherIsBetter ? high < 0 : low > 0;
  const tone = better ? 'better' : worse ? 'worse' : 'unclear';
  const description = `${label}: b − a = ${signed(difference)}, 95% interval ${num(low)} to ${num(high)}; ${better ? 'b better' : worse ? 'b worse' : 'interval includes zero'}`;
  return (
    <svg className={`interval ${tone}`} width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={description}>
      <title>{description}</title>
      <line className="zero" x1={x(0)} x2={x(0)} y1={2} y2={HEIGHT - 2} />
      <line className="ci" x1={x(low)} x2={x(high)} y1={HEIGHT / 2} y2={HEIGHT / 2} />
      <line className="ci" x1={x(low)} x2={x(low)} y1={HEIGHT / 2 - 5} y2={HEIGHT / 2 + 5} />
      <line className="ci" x1={x(high)} x2={x(high)} y1={HEIGHT / 2 - 5} y2={HEIGHT / 2 + 5} />
      <circle className="point" cx={x(difference)} cy={HEIGHT / 2} r={4} />
    </svg>
  );
}
