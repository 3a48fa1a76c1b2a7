import { messageHookSchema } from '@amochan/amojo';
import { hookSourceExternalId } from '../../src/services/amojo-hooks';

const hook = (message: Record<string, unknown>) =>
  messageHookSchema.parse({
    account_id: 'acc',
    time: 1,
    message: {
      receiver: { id: 'r', phone: '1' },
      sender: { id: 's' },
      timestamp: 1,
      message: { id: 'm', type: 'text', text: 'x' },
      ...message,
      conversation: { id: 'chat', ...(message.conversation as object) },
    },
  }).message;

describe('the source a message hook names', () => {
  it('is read from message.source, or from conversation.source, since amoCRM does not document which a write first uses', () => {
    expect(hookSourceExternalId(hook({ source: { external_id: 'amc_a' } }))).toBe('amc_a');
    expect(hookSourceExternalId(hook({ conversation: { source: { external_id: 'amc_b' } } }))).toBe('amc_b');
    expect(hookSourceExternalId(hook({ source: { external_id: 'amc_a' }, conversation: { source: { external_id: 'amc_b' } } }))).toBe('amc_a');
  });

  it('is null when absent, empty or not a string', () => {
    expect(hookSourceExternalId(hook({}))).toBeNull();
    expect(hookSourceExternalId(hook({ source: { external_id: '' } }))).toBeNull();
    expect(hookSourceExternalId(hook({ source: null, conversation: { source: { external_id: 42 } } }))).toBeNull();
  });
});
