import { showValue } from '@difftape/core';
import { type Either, isLeft, left, right } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  atLeast,
  greaterThan,
  type NumberKind,
  nonNegativeInteger,
  positiveInteger,
  probability,
  unitRate,
} from './numbers.js';

/**
 * Readable io-ts errors, shared by model specs, checkpoint manifests, configs and CLI flags.
 * One line per error: `layers[2].dense: expected a positive integer, got "x"`. A codec's name is
 * used as its description when it reads as prose ("a positive integer"); io-ts's generated names
 * (`{ units: number }`) are replaced by "an object", "an array", ...
 */

/** Codecs that wrap another one and validate with the same context (no path step of their own). */
type Wrapper = { readonly _tag?: string; readonly type?: t.Mixed };

/** The codec a wrapper (recursion, refinement, exact, readonly) stands for. */
const resolve = (codec: t.Decoder<unknown, unknown>): Wrapper => {
  let c = codec as Wrapper;
  for (let i = 0; i < 16; i++) {
    const tag = c._tag;
    const wraps =
      tag === 'RecursiveType' ||
      tag === 'RefinementType' ||
      tag === 'ExactType' ||
      tag === 'ReadonlyType' ||
      tag === 'StrictType';
    if (!wraps || c.type === undefined) return c;
    c = c.type as Wrapper;
  }
  return c;
};

const tagOf = (codec: t.Decoder<unknown, unknown>): string | undefined => resolve(codec)._tag;

const isProse = (name: string): boolean => /^[A-Za-z]+\s/.test(name);

const describeType = (codec: t.Decoder<unknown, unknown>): string => {
  if (isProse(codec.name)) return codec.name;
  const c = resolve(codec) as Wrapper & { value?: unknown; keys?: object; types?: t.Mixed[] };
  switch (c._tag) {
    case 'NumberType':
      return 'a number';
    case 'StringType':
      return 'a string';
    case 'BooleanType':
      return 'a boolean';
    case 'NullType':
      return 'null';
    case 'UndefinedType':
      return 'nothing';
    case 'LiteralType':
      return JSON.stringify(c.value);
    case 'KeyofType':
      return `one of ${Object.keys(c.keys ?? {})
        .map((k) => JSON.stringify(k))
        .join(', ')}`;
    case 'UnionType':
      return unique((c.types ?? []).map(describeType)).join(' or ');
    case 'ArrayType':
    case 'ReadonlyArrayType':
    case 'UnknownArrayType':
    case 'AnyArrayType':
      return 'an array';
    case 'TupleType':
      return `an array of ${(c.types ?? []).length}`;
    case 'InterfaceType':
    case 'PartialType':
    case 'ExactType':
    case 'StrictType':
    case 'IntersectionType':
    case 'DictionaryType':
    case 'UnknownRecordType':
    case 'AnyDictionaryType':
      return 'an object';
    default:
      return codec.name;
  }
};

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether `context[i]` picks a union or intersection member rather than a key or an index. */
const isMemberStep = (context: t.Context, i: number): boolean => {
  const tag = tagOf(context[i - 1]!.type);
  return tag === 'UnionType' || tag === 'IntersectionType';
};

/** `layers[2].dense`: indices in brackets, identifier keys with dots, other keys quoted. */
const pathOf = (context: t.Context): string => {
  let out = '';
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]!;
    const entry = context[i]!;
    if (isMemberStep(context, i)) continue;
    if (Array.isArray(parent.actual) && /^\d+$/.test(entry.key)) out += `[${entry.key}]`;
    else if (IDENTIFIER.test(entry.key)) out += out === '' ? entry.key : `.${entry.key}`;
    else out += `[${JSON.stringify(entry.key)}]`;
  }
  return out;
};

/**
 * How far a union member got with the value: twice the path depth (member steps not counted), plus
 * one when the error carries its own message (the member accepted the value's kind, e.g. an object
 * with an unknown key, rather than rejecting it outright).
 */
const specificity = (e: t.ValidationError): number => {
  let depth = 0;
  for (let i = 1; i < e.context.length; i++) if (!isMemberStep(e.context, i)) depth++;
  return 2 * depth + (e.message ? 1 : 0);
};

/** Keeps, inside each union, only the errors of the member that got furthest (first on ties). */
const select = (errors: readonly t.ValidationError[], depth: number): t.ValidationError[][] => {
  const here: t.ValidationError[][] = [];
  const groups = new Map<string, t.ValidationError[]>();
  for (const e of errors) {
    if (e.context.length <= depth + 1) here.push([e]);
    else {
      const key = e.context[depth + 1]!.key;
      const g = groups.get(key);
      if (g) g.push(e);
      else groups.set(key, [e]);
    }
  }
  const node = errors[0]?.context[depth];
  const children = [...groups.values()].map((g) => select(g, depth + 1));
  if (node === undefined || tagOf(node.type) !== 'UnionType' || children.length === 0) {
    return [...here, ...children.flat()];
  }
  const score = (lines: t.ValidationError[][]): number =>
    Math.max(...lines.flat().map(specificity));
  const best = Math.max(...children.map(score));
  const tied = children.filter((c) => score(c) === best);
  // Members that all reject the same value at the same path merge into one "expected A or B".
  const single = tied.every((c) => c.length === 1 && c[0]!.length === 1 && !c[0]![0]!.message);
  if (tied.length > 1 && single) {
    const paths = tied.map((c) => pathOf(c[0]![0]!.context));
    if (paths.every((p) => p === paths[0]))
      return [[...here.flat(), ...tied.map((c) => c[0]![0]!)]];
  }
  return [...here, ...tied[0]!];
};

const lineOf = (group: readonly t.ValidationError[]): string => {
  const first = group[0]!;
  const path = pathOf(first.context);
  const prefix = path === '' ? '' : `${path}: `;
  if (first.message) return `${prefix}${first.message}`;
  const expected = unique(
    group.map((e) => describeType(e.context[e.context.length - 1]?.type ?? t.unknown)),
  ).join(' or ');
  if (first.value === undefined) return `${prefix}missing, expected ${expected}`;
  return `${prefix}expected ${expected}, got ${showValue(first.value)}`;
};

/** One readable line per io-ts error, union members reduced to the most specific failure. */
export const formatDecodeErrors = (errors: t.Errors): string[] =>
  unique(select(errors, 0).map(lineOf));

/** Decodes `value`, or a message whose lines each start with `what: `. */
export const decodeWith = <A>(
  codec: t.Decoder<unknown, A>,
  value: unknown,
  what: string,
): Either<string, A> => {
  const result = codec.decode(value);
  if (isLeft(result)) {
    return left(
      formatDecodeErrors(result.left)
        .map((line) => `${what}: ${line}`)
        .join('\n'),
    );
  }
  return right(result.right);
};

/** Decodes `value` or throws an Error with `decodeWith`'s message. */
export const decodeOrThrow = <A>(codec: t.Decoder<unknown, A>, value: unknown, what: string): A => {
  const result = decodeWith(codec, value, what);
  if (isLeft(result)) throw new Error(result.left);
  return result.right;
};

/** A number codec branded `B`, accepting the numbers of `kind` (core's number kinds), named as it is. */
const brandedNumber = <B>(kind: NumberKind) =>
  new t.Type<t.Branded<number, B>, number, unknown>(
    kind.name,
    (u): u is t.Branded<number, B> => typeof u === 'number' && kind.ok(u),
    (u, c) =>
      typeof u === 'number' && kind.ok(u)
        ? t.success(u as t.Branded<number, B>) // the brand is what `kind.ok` just checked
        : t.failure(u, c),
    (a) => a,
  );

/** An unbranded number codec of `kind`, for counters that stay plain numbers in the code. */
export const numberCodec = (kind: NumberKind) =>
  new t.Type<number, number, unknown>(
    kind.name,
    (u): u is number => typeof u === 'number' && kind.ok(u),
    (u, c) => (typeof u === 'number' && kind.ok(u) ? t.success(u) : t.failure(u, c)),
    (a) => a,
  );

/** Brand of `PositiveInt`. */
export interface PositiveIntBrand {
  readonly PositiveInt: unique symbol;
}
/** A safe integer ≥ 1. */
export const PositiveInt = brandedNumber<PositiveIntBrand>(positiveInteger);
/** A safe integer ≥ 1. */
export type PositiveInt = t.TypeOf<typeof PositiveInt>;

/** Brand of `NonNegativeInt`. */
export interface NonNegativeIntBrand {
  readonly NonNegativeInt: unique symbol;
}
/** A safe integer ≥ 0. */
export const NonNegativeInt = brandedNumber<NonNegativeIntBrand>(nonNegativeInteger);
/** A safe integer ≥ 0. */
export type NonNegativeInt = t.TypeOf<typeof NonNegativeInt>;

/** Brand of `NonNegativeNumber`. */
export interface NonNegativeNumberBrand {
  readonly NonNegativeNumber: unique symbol;
}
/** A finite number ≥ 0. */
export const NonNegativeNumber = brandedNumber<NonNegativeNumberBrand>(atLeast(0));
/** A finite number ≥ 0. */
export type NonNegativeNumber = t.TypeOf<typeof NonNegativeNumber>;

/** Brand of `PositiveNumber`. */
export interface PositiveNumberBrand {
  readonly PositiveNumber: unique symbol;
}
/** A finite number > 0. */
export const PositiveNumber = brandedNumber<PositiveNumberBrand>(greaterThan(0));
/** A finite number > 0. */
export type PositiveNumber = t.TypeOf<typeof PositiveNumber>;

/** Brand of `Probability`. */
export interface ProbabilityBrand {
  readonly Probability: unique symbol;
}
/** A number in [0, 1]. */
export const Probability = brandedNumber<ProbabilityBrand>(probability);
/** A number in [0, 1]. */
export type Probability = t.TypeOf<typeof Probability>;

/** Brand of `DropoutRate`. */
export interface DropoutRateBrand {
  readonly DropoutRate: unique symbol;
}
/** A number in [0, 1): the fraction of entries dropout zeroes. */
export const DropoutRate = brandedNumber<DropoutRateBrand>(unitRate);
/** A number in [0, 1). */
export type DropoutRate = t.TypeOf<typeof DropoutRate>;

/**
 * An object codec with `required` and `optional` keys that rejects unknown keys, naming them
 * (io-ts's `exact` silently strips them). `name` describes it in messages ("an object" if omitted).
 */
export const exactObject = <R extends t.Props, O extends t.Props = Record<never, never>>(
  required: R,
  optional?: O,
  name = 'an object',
) => {
  const inner = t.exact(t.intersection([t.type(required), t.partial(optional ?? ({} as O))]));
  const allowed = [...Object.keys(required), ...Object.keys(optional ?? {})];
  const unknownKeys = (u: object): string[] => Object.keys(u).filter((k) => !allowed.includes(k));
  type A = t.TypeOf<typeof inner>;
  type Out = t.OutputOf<typeof inner>;
  return new t.ExactType<typeof inner, A, Out, unknown>(
    name,
    (u): u is A => inner.is(u) && unknownKeys(u as object).length === 0,
    (u, c) => {
      const base = inner.validate(u, c);
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return base;
      const extra = unknownKeys(u);
      if (extra.length === 0) return base;
      const quoted = (ks: readonly string[]) => ks.map((k) => JSON.stringify(k)).join(', ');
      const message =
        `unknown key${extra.length > 1 ? 's' : ''} ${quoted(extra)}` +
        ` (allowed: ${allowed.length > 0 ? quoted(allowed) : 'none'})`;
      const errors: t.Errors = [{ value: u, context: c, message }];
      return t.failures(isLeft(base) ? [...errors, ...base.left] : errors);
    },
    (a) => inner.encode(a),
    inner,
  );
};
