import { describe, expect, it } from 'vitest';
import { deriveSubscribers, validateSubscriberEndpoint } from '../../cells/subscribers.js';
import { buildTopology, STAGE_SETTINGS } from '../../cells/topology.js';

const INGESTION = { name: 'ingestion', title: 'Ingestion' };
const RECEIVED = { event: { status: ['RECEIVED'] } };

describe('deriveSubscribers', () => {
  it('keeps a valid endpoint as URL normalises it, and none when none was declared', () => {
    // Act
    const [hook, plain] = deriveSubscribers(INGESTION, [
      { id: 'billify', filterPolicy: RECEIVED, endpoint: 'HTTPS://Hooks.Example.com:8443/cell?unit=bu-7' },
      { id: 'treasury', filterPolicy: RECEIVED },
    ]);

    // Assess
    expect(hook?.endpoint).toBe('https://hooks.example.com:8443/cell?unit=bu-7');
    expect(plain).not.toHaveProperty('endpoint');
  });

  it.each([
    [
      'not a URL',
      'hooks.example.com/cell',
      'endpoint must be an absolute http or https URL, got "hooks.example.com/cell"',
    ],
    ['another scheme', 'ftp://hooks.example.com/cell', 'endpoint must use http or https, got ftp'],
    ['credentials', 'https://team:s3cret@hooks.example.com/cell', 'endpoint must not carry credentials'],
    ['a user alone', 'https://team@hooks.example.com/cell', 'endpoint must not carry credentials'],
    ['a fragment', 'https://hooks.example.com/cell#x', 'endpoint must not have a #fragment, got #x'],
    ['an empty string', '', 'endpoint must be an http or https URL, got ""'],
  ])('rejects %s when the topology is built, naming the stage and the subscriber', (_, endpoint, why) => {
    // Act
    const build = () =>
      buildTopology({}, STAGE_SETTINGS, { ingestion: [{ id: 'billify', filterPolicy: RECEIVED, endpoint }] });

    // Assess
    expect(build).toThrow(`stage ingestion subscriber billify: ${why}`);
  });

  it('rejects an endpoint that is not a string', () => {
    // Act
    const check = () => validateSubscriberEndpoint('stage posting subscriber x', 42);

    // Assess
    expect(check).toThrow('stage posting subscriber x: endpoint must be an http or https URL, got 42');
  });
});
