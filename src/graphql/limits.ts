// What one GraphQL request may ask (GRAPHQL_* in config.ts), all refused before the token is looked up or any field
// resolved: tokens (the parser stops), aliases, depth, directives and root mutations (validation, whose verdict Apollo
// keeps with the document), and cost weighted by page sizes (per request: sizes may come in variables). Introspection
// and "Did you mean" suggestions are for signed-in callers only in production. A time budget stops further fields.
import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  BREAK, GraphQLError, Kind, OperationTypeNode, SchemaMetaFieldDef, TypeMetaFieldDef, getNamedType, isInterfaceType,
  isObjectType, parse, visit,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule,
} from 'graphql';
import type { RequestHandler } from 'express';
import type { IMiddlewareFunction } from 'graphql-middleware';
import type { GraphQLLimits } from '../config.js';
import { MAX_PAGE_SIZE } from '../shared/paging.js';
import { identifyViewer, type Context } from './context.js';

/** A request over a limit: 400, before anything runs. */
function overLimit(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/** Root fields of a mutation that would run: one per response name (fields of one name are merged), __typename aside. */
function rootFieldNames(context: ValidationContext, selectionSet: SelectionSetNode, names = new Set<string>(), seen = new Set<string>()): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') names.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      rootFieldNames(context, selection.selectionSet, names, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) rootFieldNames(context, fragment.selectionSet, names, seen);
    }
  }
  return names;
}

function maxMutationsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (operation.operation !== OperationTypeNode.MUTATION) return;
      const found = rootFieldNames(context, operation.selectionSet).size;
      if (found > max) context.reportError(new GraphQLError(`Mutations limit of ${max} exceeded, found ${found}.`));
    },
  });
}

/** graphql-armor's aliases, depth and directives rules, reporting as validation errors do. */
function armorRules(limits: GraphQLLimits): ValidationRule[] {
  const report = {
    propagateOnRejection: false,
    // armor words every refusal as a "Syntax Error"; these are not.
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')))],
  };
  return new ApolloArmor({
    maxAliases: { n: limits.maxAliases, ...report },
    maxDepth: { n: limits.maxDepth, ...report },
    maxDirectives: { n: limits.maxDirectives, ...report },
    // Done here instead: tokens by graphql's own parser, cost with page sizes from variables, suggestions per caller.
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect().validationRules;
}

/**
 * The fields an answer may hold: each field counts 1, and what a field with `first` or `last` holds counts that many
 * times (the size given inline or in a variable, else its default page size; at most MAX_PAGE_SIZE, which is all a
 * list gives). A fragment is counted once and its cost reused at every spread.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const values: Record<string, unknown> = {};
  for (const { variable, defaultValue } of operation.variableDefinitions ?? []) {
    if (defaultValue?.kind === Kind.INT) values[variable.name.value] = Number(defaultValue.value);
  }
  Object.assign(values, variables);
  const fragmentCosts = new Map<string, number>();

  function pageSize(node: FieldNode, definition: GraphQLField<unknown, unknown> | undefined): number {
    let size: number | undefined;
    for (const argument of definition?.args ?? []) {
      if (argument.name !== 'first' && argument.name !== 'last') continue;
      const given = node.arguments?.find((candidate) => candidate.name.value === argument.name)?.value;
      let value: unknown = argument.defaultValue;
      if (given?.kind === Kind.INT) value = Number(given.value);
      else if (given?.kind === Kind.VARIABLE && typeof values[given.name.value] === 'number') value = values[given.name.value];
      if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 0, Math.min(Math.max(Math.trunc(value), 0), MAX_PAGE_SIZE));
    }
    return size ?? 1;
  }

  function fieldCost(node: FieldNode, parent: GraphQLNamedType | undefined): number {
    if (!node.selectionSet) return 1;
    const name = node.name.value;
    const definition = name === '__schema' ? SchemaMetaFieldDef
      : name === '__type' ? TypeMetaFieldDef
        : parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
    return 1 + pageSize(node, definition) * selectionCost(node.selectionSet, definition && getNamedType(definition.type));
  }

  function fragmentCost(name: string): number {
    let cost = fragmentCosts.get(name);
    if (cost === undefined) {
      fragmentCosts.set(name, 0); // validation has refused cycles; this only keeps a bad document from looping
      const fragment = fragments.get(name);
      cost = fragment ? selectionCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value)) : 0;
      fragmentCosts.set(name, cost);
    }
    return cost;
  }

  function selectionCost(selectionSet: SelectionSetNode, type: GraphQLNamedType | undefined): number {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) cost += fieldCost(selection, type);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) cost += fragmentCost(selection.name.value);
      else cost += selectionCost(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type);
    }
    return cost;
  }

  return selectionCost(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);
}

const asksForSchemaCache = new WeakMap<DocumentNode, boolean>();

/** The document introspects the schema (__schema, __type; __typename is no introspection). Apollo reuses documents. */
function asksForSchema(document: DocumentNode): boolean {
  let found = asksForSchemaCache.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Field(node) {
        if (node.name.value !== '__schema' && node.name.value !== '__type') return undefined;
        found = true;
        return BREAK;
      },
    });
    asksForSchemaCache.set(document, found);
  }
  return found;
}

const TOKENS_EXCEEDED = 'Syntax Error: Document contains more';

const introspectionRefused = () => new GraphQLError('Introspection is for signed-in callers: send an access token as "Authorization: Bearer <token>"', {
  extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) } },
});

// graphql-js words them " Did you mean "x"?", " Did you mean "x" or "y"?", " Did you mean the enum value "X"?".
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/** A caller with a valid token; looked up here only for a request refused before its token was (validation). */
async function isSignedIn(context: Context): Promise<boolean> {
  if (context.viewer) return true;
  if (!context.hasCredentials) return false;
  return context.lookUpViewer().then((viewer) => viewer !== null, () => false);
}

/** Each request's time budget (GRAPHQL_TIMEOUT_MS) and when it runs out, by its context. */
const budgets = new WeakMap<object, { ms: number; deadline: number }>();
const TIMEOUT = 'TIMEOUT';

/**
 * Applied to every field with a resolver of its own (schema.ts): once the request's time budget is spent, no further
 * one starts. A field already running finishes; the fields after it come back as errors, folded into one below.
 */
export const timeBudget: IMiddlewareFunction<unknown, Context> = (resolve, parent, args, context, info) => {
  const budget = budgets.get(context);
  if (budget && performance.now() > budget.deadline) {
    throw new GraphQLError(`The request ran over its time budget of ${budget.ms} ms; no further fields were resolved`, { extensions: { code: TIMEOUT } });
  }
  // Not awaited: a plain value stays plain, as graphql-js takes it, whatever the type says.
  return resolve(parent, args, context, info) as Promise<unknown>;
};

export interface ApolloLimits extends Pick<ApolloServerOptions<Context>, 'parseOptions' | 'validationRules'> {
  plugin: ApolloServerPlugin<Context>;
  /** Express middleware for /graphql, before Apollo: the limit on repeated fields (see refuseRepeatedFields). */
  beforeApollo: RequestHandler;
}

/**
 * The most times one response name occurs in one selection set (an inline fragment's fields counted in; a named
 * fragment's where it is defined, as graphql-js compares each named fragment once).
 */
function mostRepeats(document: DocumentNode): number {
  let most = 0;
  const visitSet = (selectionSet: SelectionSetNode) => {
    const counts = new Map<string, number>();
    const walk = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const name = selection.alias?.value ?? selection.name.value;
          const count = (counts.get(name) ?? 0) + 1;
          counts.set(name, count);
          most = Math.max(most, count);
          if (selection.selectionSet) visitSet(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          walk(selection.selectionSet);
        }
      }
    };
    walk(selectionSet);
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) visitSet(definition.selectionSet);
  }
  return most;
}

// Documents seen and their verdict: the same query text, sent again and again by real clients, is parsed once.
const MAX_REMEMBERED = 1000;

/**
 * One field repeated in a selection set (`{ authClients { totalCount } authClients { totalCount } ... }`) needs no
 * alias, and graphql-js's "fields can merge" validation compares every pair before any rule of ours runs: 249 copies,
 * well under the token limit, took ~37 ms each and stalled the event loop. Apollo turns an error thrown before
 * validation into a 500, so this is checked in front of it, on the document parsed within the token limit.
 */
function refuseRepeatedFields(limits: GraphQLLimits): RequestHandler {
  const seen = new Map<string, number>();
  return (req, res, next) => {
    const query: unknown = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== 'string') {
      next();
      return;
    }
    let most = seen.get(query);
    if (most === undefined) {
      try {
        most = mostRepeats(parse(query, { maxTokens: limits.maxTokens, noLocation: true }));
      } catch {
        next(); // Apollo answers what does not parse, or is over the token limit, itself
        return;
      }
      if (seen.size >= MAX_REMEMBERED) seen.clear();
      seen.set(query, most);
    }
    if (most > limits.maxRepeatedFields) {
      res.status(400).json({
        errors: [{
          message: `Repeated fields limit of ${limits.maxRepeatedFields} exceeded, found one field ${most} times.`,
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        }],
      });
      return;
    }
    next();
  };
}

export function graphqlLimits(limits: GraphQLLimits): ApolloLimits {
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [...armorRules(limits), maxMutationsRule(limits.maxMutations)],
    beforeApollo: refuseRepeatedFields(limits),
    plugin: {
      requestDidStart({ contextValue }) {
        budgets.set(contextValue, { ms: limits.timeoutMs, deadline: performance.now() + limits.timeoutMs });
        return Promise.resolve({
          // In this order: what the document alone tells, then the token, then what only a signed-in caller may ask.
          async didResolveOperation({
            contextValue: context, document, operation, request, schema,
          }) {
            // (No operation: execution refuses the request with OPERATION_RESOLUTION_FAILURE, running nothing.)
            const cost = operation ? operationCost(schema, document, operation, request.variables ?? {}) : 0;
            if (cost > limits.maxCost) throw overLimit(`Query cost limit of ${limits.maxCost} exceeded, found ${cost}.`);
            if (!limits.schemaForAnonymous && !context.hasCredentials && asksForSchema(document)) throw introspectionRefused();
            await identifyViewer(context);
          },
          async didEncounterErrors({ contextValue: context, errors }) {
            for (const error of errors) {
              // graphql-js's own words for it have a typo ("more that 1000 tokens"); said as the other limits are.
              if (error.extensions.code === 'GRAPHQL_PARSE_FAILED' && error.message.startsWith(TOKENS_EXCEEDED)) {
                error.message = `Token limit of ${limits.maxTokens} exceeded: parsing stopped there.`;
              }
            }
            if (limits.schemaForAnonymous || !errors.some((error) => error.message.includes('Did you mean'))) return;
            if (await isSignedIn(context)) return;
            for (const error of errors) error.message = error.message.replace(SUGGESTION, '');
          },
          // Every field stopped by the budget failed alike: one error says it.
          willSendResponse({ response }) {
            const { body } = response;
            if (body.kind !== 'single' || !body.singleResult.errors) return Promise.resolve();
            let timeoutSeen = false;
            const errors = body.singleResult.errors.filter((error) => {
              if (error.extensions?.code !== TIMEOUT) return true;
              const first = !timeoutSeen;
              timeoutSeen = true;
              return first;
            });
            body.singleResult = { ...body.singleResult, errors };
            return Promise.resolve();
          },
        });
      },
    },
  };
}
