/**
 * The JSON the pages read, as far as they use it. The services' TypeBox contracts are the authority; these
 * are restated here because the contracts package runs on Node and cannot be bundled into a page.
 */

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Product {
  id: number;
  name: string;
  description: string;
  category: string;
  material: string;
  priceCents: number;
  modelKey: string | null;
}

export interface Measurements {
  triangleCount: number;
  vertexCount: number;
  bbox: { min: number[]; max: number[]; size: number[] };
  volume: number;
  surfaceArea: number;
  watertight: boolean;
  inverted: boolean;
}

export type ModelFormat = "stl" | "obj" | "3mf";

export interface ProductDetail extends Product {
  model: { format: ModelFormat; measurements: Measurements } | null;
}

export interface Category {
  name: string;
  count: number;
}

export interface Quote {
  format: ModelFormat;
  measurements: Measurements;
  quote: {
    currency: string;
    options: { material: string; quantity: number };
    massGrams: number;
    printTimeHours: number;
    unitPriceCents: number;
    totalCents: number;
  };
}

export interface OrderSummary {
  id: number;
  customerId: number;
  status: string;
  totalCents: number;
  createdAt: string;
  updatedAt: string;
}

export interface StatusChange {
  from: string | null;
  to: string;
  by?: string;
  at: string;
}

export interface Order extends OrderSummary {
  items: Array<{ productId: number; productName: string; quantity: number; unitPriceCents: number }>;
  history: StatusChange[];
}

export interface Lifecycle {
  statuses: string[];
  next: Record<string, string[]>;
}

export interface Session {
  sub: string;
  role: string;
  expiresAt: string;
}
