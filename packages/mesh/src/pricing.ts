import type { BasicMeasurements } from "./measure.ts";

/**
 * The pricing model, versioned: every quote carries `version`, and a cached quote is keyed by it, so a
 * new table (a new version) never meets an old result. Change a number here, raise the version.
 *
 * mass      = (shell + infill x (volume - shell)) x density, shell = min(volume, area x shell thickness)
 * printTime = extruded volume / (flow at this layer height) + layers x layer overhead
 * price     = setup fee + quantity x (mass x price per kg + print hours x machine rate)
 */
export const PRICING = {
  version: 1,
  currency: "EUR",
  setupFeeCents: 500,
  machine: {
    /** Volumetric flow at 0.2 mm layers; scales with layer height. */
    flowMm3PerSecAt02: 8,
    layerOverheadSec: 4,
    hourlyRateCents: 300,
    shellThicknessMm: 0.8,
  },
  materials: {
    PLA: { densityGPerCm3: 1.24, pricePerKgCents: 2500 },
    PETG: { densityGPerCm3: 1.27, pricePerKgCents: 2800 },
    ABS: { densityGPerCm3: 1.04, pricePerKgCents: 2700 },
    nylon: { densityGPerCm3: 1.14, pricePerKgCents: 6000 },
    resin: { densityGPerCm3: 1.1, pricePerKgCents: 8000 },
  },
  limits: { infill: [0, 1], layerHeightMm: [0.05, 0.4], quantity: [1, 10_000] },
} as const;

export type PricingMaterial = keyof typeof PRICING.materials;

export interface PricingOptions {
  material: PricingMaterial;
  /** 0..1 */
  infill: number;
  layerHeightMm: number;
  quantity: number;
}

export interface Quote {
  pricingVersion: number;
  currency: string;
  options: PricingOptions;
  massGrams: number;
  printTimeHours: number;
  unitPriceCents: number;
  totalCents: number;
  breakdown: { materialCents: number; machineCents: number; setupFeeCents: number };
}

/** Prices one part from its measurements; a pure function of its inputs and PRICING. */
export function priceModel(
  m: Pick<BasicMeasurements, "volume" | "surfaceArea" | "bbox">,
  options: PricingOptions,
): Quote {
  const mat = PRICING.materials[options.material];
  const shell = Math.min(m.volume, m.surfaceArea * PRICING.machine.shellThicknessMm);
  const printedMm3 = shell + options.infill * (m.volume - shell);
  const massGrams = (printedMm3 / 1000) * mat.densityGPerCm3;
  const flow = PRICING.machine.flowMm3PerSecAt02 * (options.layerHeightMm / 0.2);
  const layers = Math.ceil(m.bbox.size[2] / options.layerHeightMm);
  const printSec = printedMm3 / flow + layers * PRICING.machine.layerOverheadSec;
  return priceEstimate(massGrams, printSec, options);
}

/** Prices one part from its mass and print time, however they were estimated (the rule above, a slicer). */
export function priceEstimate(massGrams: number, printSec: number, options: PricingOptions): Quote {
  const mat = PRICING.materials[options.material];
  const materialCents = Math.round((massGrams / 1000) * mat.pricePerKgCents);
  const machineCents = Math.round((printSec / 3600) * PRICING.machine.hourlyRateCents);
  const unit = materialCents + machineCents;
  return {
    pricingVersion: PRICING.version,
    currency: PRICING.currency,
    options,
    massGrams: Math.round(massGrams * 100) / 100,
    printTimeHours: Math.round((printSec / 3600) * 100) / 100,
    unitPriceCents: unit,
    totalCents: PRICING.setupFeeCents + unit * options.quantity,
    breakdown: {
      materialCents: materialCents * options.quantity,
      machineCents: machineCents * options.quantity,
      setupFeeCents: PRICING.setupFeeCents,
    },
  };
}
