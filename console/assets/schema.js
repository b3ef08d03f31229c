// The API's own OpenAPI document (/openapi.json): task types and their settings models, which operations exist.

export class ApiSchema {
  constructor(document) {
    this.document = document;
    this.schemas = document.components?.schemas || {};
  }

  static async load() {
    const response = await fetch('/openapi.json', {headers: {accept: 'application/json'}, cache: 'no-store'});
    if (!response.ok) throw new Error(`The API's OpenAPI document could not be read (${response.status}).`);
    return new ApiSchema(await response.json());
  }

  /** `schema` with its $ref followed (repeatedly); keys next to the $ref (default, description) win. */
  resolve(schema) {
    let current = schema || {};
    const overrides = {};
    for (let depth = 0; current.$ref && depth < 32; depth += 1) {
      const {$ref, ...rest} = current;
      Object.assign(overrides, {...rest, ...overrides});
      current = this.schemas[$ref.split('/').pop()] || {};
    }
    return Object.keys(overrides).length ? {...current, ...overrides} : current;
  }

  /** The create-task body: a oneOf over the types, with a discriminator on `type`. */
  get taskBody() {
    const operation = this.document.paths?.['/environments/{env}/tasks']?.post;
    return operation?.requestBody?.content?.['application/json']?.schema || {};
  }

  /** [{type, schema}] for every task type the API accepts, in the API's order. */
  taskVariants() {
    const body = this.taskBody;
    const property = body.discriminator?.propertyName || 'type';
    const variants = [];
    for (const option of body.oneOf || body.anyOf || []) {
      const schema = this.resolve(option);
      const type = this.resolve(schema.properties?.[property]).const;
      if (type) variants.push({type, schema});
    }
    return variants;
  }

  variantOf(type) {
    return this.taskVariants().find((variant) => variant.type === type)?.schema || null;
  }

  enumOf(name) {
    return this.schemas[name]?.enum || [];
  }
}
