/**
 * The provider registry: the one place that maps a provider type to its implementation. Code outside
 * this file requests a provider from the registry and never branches on the provider type itself.
 */
import { AppError } from '../errors/app-error.js';
import { type KeyProvider, type ProviderType, providerTypes } from './provider-types.js';

/**
 * Builds a provider from its saved configuration (for example a company's AWS role and key ARNs).
 * Raises AppError INVALID_INPUT when the configuration is malformed.
 */
export type ProviderFactory = (config: unknown) => KeyProvider | Promise<KeyProvider>;

export function isProviderType(value: string): value is ProviderType {
  return (providerTypes as readonly string[]).includes(value);
}

export class ProviderRegistry {
  readonly #factories = new Map<ProviderType, ProviderFactory>();

  /** Registers the factory for one provider type; registering a type twice is a programming error. */
  register(providerType: ProviderType, factory: ProviderFactory): this {
    if (this.#factories.has(providerType)) {
      throw new Error(`Provider type ${providerType} is already registered.`);
    }
    this.#factories.set(providerType, factory);
    return this;
  }

  has(providerType: string): boolean {
    return isProviderType(providerType) && this.#factories.has(providerType);
  }

  registeredTypes(): ProviderType[] {
    return [...this.#factories.keys()];
  }

  /**
   * Creates the provider for `providerType`. Raises AppError INVALID_INPUT for a type that is unknown
   * or not registered in this build.
   */
  async create(providerType: string, config: unknown): Promise<KeyProvider> {
    const factory = isProviderType(providerType) ? this.#factories.get(providerType) : undefined;
    if (factory === undefined) {
      throw new AppError(
        'INVALID_INPUT',
        `providerType ${JSON.stringify(providerType)} is not supported; expected one of ${this.registeredTypes().join(', ')}.`,
        { details: { field: 'providerType' } },
      );
    }

    const provider = await factory(config);
    if (provider.providerType !== providerType) {
      throw new Error(`The factory for ${providerType} returned a ${provider.providerType} provider.`);
    }
    return provider;
  }
}
