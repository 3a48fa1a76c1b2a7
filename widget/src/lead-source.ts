import { readAmojoId } from './account';
import type { Api } from './api';
import { toWidgetError, WidgetError } from './errors';
import { hostApps, type HostWindow, type WidgetSelf } from './host';
import { errorText, pickTexts } from './texts';

/**
 * onAddAsSource: the manager added the channel as a lead source of a pipeline. The server records
 * the pipeline so new chats of this account create their leads there.
 */
export async function addAsSource(deps: { self: WidgetSelf; api: Api; win: HostWindow }, pipelineId: string | number): Promise<boolean> {
  const texts = pickTexts(deps.self, deps.win);
  try {
    const amojoId = readAmojoId(deps.win);
    if (!amojoId) throw new WidgetError('no_account');
    await deps.api.addSource({ amojo_id: amojoId, pipeline_id: pipelineId });
    notify(deps.win, texts.widget.name, texts.ui.source_added);
    return true;
  } catch (error) {
    const failure = toWidgetError(error);
    notify(deps.win, texts.widget.name, errorText(texts, failure.code));
    throw failure;
  }
}

function notify(win: HostWindow, header: string, text: string): void {
  for (const app of hostApps(win)) {
    if (typeof app.notifications?.show_message === 'function') {
      app.notifications.show_message({ header, text });
      return;
    }
  }
}
