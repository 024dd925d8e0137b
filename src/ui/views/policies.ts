/** ACL policies (sys/policies/acl): list, read, create, edit and delete. */
import { api, apiPath } from '../api.js';
import { el, field, link } from '../dom.js';
import type { ViewContext } from './view.js';

export async function policyList(): Promise<Node> {
  const body = await api('GET', 'sys/policies/acl', { query: { list: 'true' } });
  const names: string[] = Array.isArray(body?.data?.keys) ? body.data.keys.map(String) : [];
  return el(
    'section',
    {},
    el('h1', {}, 'ACL policies'),
    el('div', { class: 'actions' }, link(['policy-new'], 'Create policy', { class: 'button' })),
    el(
      'ul',
      { class: 'keys', 'data-testid': 'policies' },
      ...names.map((name) => el('li', {}, link(['policy', name], name))),
    ),
  );
}

export async function policyShow(context: ViewContext): Promise<Node> {
  const [name = ''] = context.params;
  const body = await api('GET', apiPath('sys/policies/acl', name));
  const protectedPolicy = name === 'root' || name === 'default';
  return el(
    'section',
    {},
    el('h1', {}, link(['policies'], 'ACL policies'), ' / ', name),
    el(
      'div',
      { class: 'actions' },
      name !== 'root' && link(['policy-edit', name], 'Edit', { class: 'button' }),
      !protectedPolicy &&
        el(
          'button',
          { type: 'button', class: 'danger', onclick: () => void removePolicy(context, name) },
          'Delete',
        ),
    ),
    el('pre', { class: 'policy', 'data-testid': 'policy-text' }, String(body?.data?.policy ?? '')),
  );
}

export async function policyEdit(context: ViewContext): Promise<Node> {
  const creating = context.route === 'policy-new';
  const [name = ''] = context.params;
  const current = creating
    ? ''
    : String((await api('GET', apiPath('sys/policies/acl', name)))?.data?.policy ?? '');
  const nameInput = el('input', { id: 'policy-name', name: 'name', value: name, autocomplete: 'off' });
  nameInput.readOnly = !creating;
  const text = el('textarea', { id: 'policy-body', name: 'policy', rows: 16, spellcheck: false });
  text.value = current;
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const chosen = nameInput.value.trim();
    if (chosen === '') return context.fail(new Error('Give the policy a name.'));
    try {
      await api('PUT', apiPath('sys/policies/acl', chosen), { body: { policy: text.value } });
      if (!context.stale()) context.navigate(['policy', chosen]);
    } catch (error) {
      context.fail(error);
    }
  };
  return el(
    'form',
    { class: 'card', onsubmit: (event) => void submit(event) },
    el('h1', {}, link(['policies'], 'ACL policies'), ' / ', creating ? 'new' : name),
    field('Name', 'policy-name', nameInput),
    field('Policy (HCL)', 'policy-body', text),
    el('button', { type: 'submit', class: 'primary' }, 'Save'),
  );
}

async function removePolicy(context: ViewContext, name: string) {
  if (!window.confirm(`Delete the policy ${name}?`)) return;
  try {
    await api('DELETE', apiPath('sys/policies/acl', name));
    if (!context.stale()) context.navigate(['policies']);
  } catch (error) {
    context.fail(error);
  }
}
