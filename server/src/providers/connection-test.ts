import { AppError } from '../errors/app-error.js';
import type { KeyProvider, WrapContext } from './provider-types.js';

/** One step of Test connection as the console shows it. */
export interface ConnectionTestStep {
  name: string;
  status: 'passed' | 'failed' | 'not run';
  message: string;
}

export interface ConnectionTestReport {
  steps: ConnectionTestStep[];
  /** The first failure, as a catalogue error; absent when every step passed. */
  error?: AppError;
}

export interface StepDefinition {
  name: string;
  /** Runs the step and returns the message shown when it passes; raises an AppError when it fails. */
  run(): Promise<string>;
}

/** Runs steps in order and stops at the first failure; the steps after it are reported as not run. */
export async function runSteps(definitions: StepDefinition[]): Promise<ConnectionTestReport> {
  const steps: ConnectionTestStep[] = definitions.map((step) => ({
    name: step.name,
    status: 'not run',
    message: '',
  }));

  for (const [index, definition] of definitions.entries()) {
    try {
      steps[index] = { name: definition.name, status: 'passed', message: await definition.run() };
    } catch (error) {
      const appError =
        error instanceof AppError
          ? error
          : new AppError('INTERNAL', `${definition.name} failed unexpectedly.`, { cause: error });
      steps[index] = { name: definition.name, status: 'failed', message: appError.message };
      return { steps, error: appError };
    }
  }
  return { steps };
}

/** A provider that reports its own connection test step by step (AWS KMS does). */
export interface SteppedConnectionTest {
  runConnectionTest(context: WrapContext): Promise<ConnectionTestReport>;
}

/**
 * Runs a provider's connection test as steps: its own step list when it has one, otherwise its
 * `testConnection()` as a single step named after the provider.
 */
export function providerConnectionTest(
  provider: KeyProvider,
  label: string,
  context: WrapContext,
): Promise<ConnectionTestReport> {
  if ('runConnectionTest' in provider)
    return (provider as KeyProvider & SteppedConnectionTest).runConnectionTest(context);
  return runSteps([
    {
      name: `${label} key`,
      run: async () => {
        const result = await provider.testConnection();
        return `Wrapped and unwrapped a test key with ${result.providerKeyId}.`;
      },
    },
  ]);
}
