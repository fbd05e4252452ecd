/**
 * The call handler's live-call screens: one stage a page, each saved as it is left, so a
 * reload or a dropped connection loses nothing. Stages: immediate danger and who is
 * calling → the person and how to reach them safely → the DASH checklist → needs →
 * proposed pathways, consent and send. A summary of the call stays beside every stage.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Tx } from '../../db/transaction.js';
import { asActor, IdParams } from '../../http/route-kit.js';
import { Invalid } from '../../lib/errors.js';
import type { Actor } from '../../modules/access/actor.js';
import { ContactPatch, NewContact, type ContactView } from '../../modules/contacts/schema.js';
import * as contacts from '../../modules/contacts/service.js';
import { pathwaysFor } from '../../modules/pathways/service.js';
import { NewReferrals } from '../../modules/referrals/schema.js';
import { sendReferrals } from '../../modules/referrals/service.js';
import { NewAssessment } from '../../modules/risk/schema.js';
import * as risk from '../../modules/risk/service.js';
import { callOfContact } from '../../modules/telephony/service.js';
import { dateInput } from '../forms.js';
import { checkAgainst, formErrors, render, type FormErrors } from '../render.js';
import { CALLER_TYPE_ITEMS, DANGER_ITEMS, LEVEL_LABELS, labelOf } from '../labels.js';

type Form = Record<string, unknown>;

const text = (form: Form, name: string): string | undefined => {
  const value = form[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};
const list = (form: Form, name: string): string[] => {
  const value = form[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : [];
};

/** The call summary shown beside every stage. */
async function callContext(tx: Tx, actor: Actor, id: string) {
  const contact = await contacts.getContact(tx, actor, id);
  const call = await callOfContact(tx, id);
  const assessment = await risk.currentAssessmentOf(tx, id);
  const needs = await contacts.listNeeds(tx, actor);
  // A caller whose number is on earlier contacts: offer to link this call to them.
  const links = await contacts.linksOf(tx, id);
  const known = call?.from_number && !call.perpetrator_alert ? await contacts.contactsWithNumber(tx, actor, call.from_number, id) : [];
  const linked = new Set(links.map((l) => l.id));
  return { contact, assessment, needs, perpetratorAlert: call?.perpetrator_alert ?? false, links, known: known.filter((k) => !linked.has(k.id)) };
}

function summaryRows(contact: ContactView, assessment: Awaited<ReturnType<typeof risk.currentAssessmentOf>>, needLabels: Map<string, string>) {
  return [
    { key: { text: 'Reference' }, value: { text: contact.reference } },
    { key: { text: 'Immediate danger' }, value: { text: labelOf(DANGER_ITEMS, contact.immediateDanger) } },
    { key: { text: 'Caller' }, value: { text: labelOf(CALLER_TYPE_ITEMS, contact.callerType) } },
    { key: { text: 'Person' }, value: { text: contact.person.name ?? 'Not given yet' } },
    { key: { text: 'Risk' }, value: { text: assessment ? `${LEVEL_LABELS[assessment.level] ?? assessment.level} (${assessment.yesCount} yes)` : 'Not assessed yet' } },
    { key: { text: 'Needs' }, value: { text: contact.needs.length ? contact.needs.map((n) => needLabels.get(n) ?? n).join(', ') : 'None recorded yet' } },
  ];
}

const STAGES = [
  { path: 'about', title: 'About the person' },
  { path: 'risk', title: 'Risk checklist' },
  { path: 'needs', title: 'Needs' },
  { path: 'send', title: 'Pathways and referrals' },
] as const;
type Stage = (typeof STAGES)[number]['path'];

export async function callPages(app: FastifyInstance): Promise<void> {
  const page = { web: true as const };

  async function stage(request: FastifyRequest, reply: FastifyReply, name: Stage, extra: Record<string, unknown> = {}) {
    const { id } = request.params as { id: string };
    const context = await asActor(request, (tx, actor) => callContext(tx, actor, id));
    const needLabels = new Map(context.needs.map((n) => [n.code, n.label]));
    return render(request, reply, `pages/calls/${name}.njk`, {
      title: `New call – ${STAGES.find((s) => s.path === name)!.title}`,
      stages: STAGES.map((s) => ({ ...s, href: `/calls/${id}/${s.path}`, current: s.path === name })),
      summary: summaryRows(context.contact, context.assessment, needLabels),
      ...context,
      ...extra,
    });
  }

  app.post('/calls/:id/link', { config: { ...page, permission: 'contact:update' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const otherId = String(((request.body ?? {}) as Form).otherId ?? '');
    if (!/^[0-9a-f-]{36}$/.test(otherId)) throw Invalid.field('/otherId', 'is not a contact');
    await asActor(request, (tx, actor) => contacts.linkContacts(tx, actor, id, otherId, 'the caller’s number is on the earlier contact'));
    return reply.redirect(`/calls/${id}/about`, 303);
  });

  // Stage 1: immediate danger first, then who is calling. Saving it creates the contact.
  app.get('/calls/new', { config: { ...page, permission: 'contact:create' } }, async (request, reply) =>
    render(request, reply, 'pages/calls/start.njk', { title: 'New call', values: { channel: 'phone' } }),
  );

  app.post('/calls/new', { config: { ...page, permission: 'contact:create' } }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const input = { channel: text(form, 'channel') ?? 'phone', immediateDanger: text(form, 'immediateDanger'), callerType: text(form, 'callerType') };
    try {
      const checked = checkAgainst<NewContact>(NewContact, Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
      const contact = await asActor(request, (tx, actor) => contacts.createContact(tx, actor, checked));
      return reply.redirect(`/calls/${contact.id}/about`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return render(request, reply, 'pages/calls/start.njk', {
        title: 'New call',
        values: input,
        errors: formErrors(error.errors, {
          '/immediateDanger': { id: 'immediateDanger', label: 'Whether anyone is in immediate danger' },
          '/callerType': { id: 'callerType', label: 'Who is calling' },
          '/channel': { id: 'channel', label: 'How they got in touch' },
        }),
      });
    }
  });

  // Stage 2: the person, children, and how (and when) it is safe to reach them.
  app.get('/calls/:id/about', { config: { ...page, permission: 'contact:update' }, schema: { params: IdParams } }, async (request, reply) =>
    stage(request, reply, 'about'),
  );

  app.post('/calls/:id/about', { config: { ...page, permission: 'contact:update' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const dob = dateInput(form, 'dateOfBirth');
    const phone = text(form, 'phone');
    const childCount = Number(text(form, 'children') ?? '0');
    const channels = list(form, 'safeChannels');
    const person = { name: text(form, 'name'), dateOfBirth: dob === null ? '' : dob || undefined, gender: text(form, 'gender'), postcode: text(form, 'postcode'), phones: phone ? [phone] : undefined };
    const safeContact = {
      phones: phone ? [{ number: phone, callSafe: channels.includes('call'), textSafe: channels.includes('text'), voicemailSafe: channels.includes('voicemail') }] : undefined,
      safeTimesNote: text(form, 'safeTimesNote'),
      codeWord: text(form, 'codeWord'),
      language: text(form, 'language'),
    };
    const patch = {
      person: JSON.parse(JSON.stringify(person)) as unknown,
      safeContact: JSON.parse(JSON.stringify(safeContact)) as unknown,
      children: Number.isInteger(childCount) && childCount >= 0 && childCount <= 15 ? Array.from({ length: childCount }, () => ({})) : 'invalid',
    };
    try {
      const errors = [];
      if (dob === null) errors.push({ field: '/person/dateOfBirth', message: 'must be a real date, like 27 3 1988' });
      if (patch.children === 'invalid') errors.push({ field: '/children', message: 'must be a number from 0 to 15' });
      if (channels.length > 0 && !phone) errors.push({ field: '/safeContact/phones', message: 'needs the number it applies to' });
      if (errors.length) throw new Invalid(errors);
      const checked = checkAgainst<ContactPatch>(ContactPatch, patch);
      await asActor(request, (tx, actor) => contacts.updateContact(tx, actor, id, checked));
      return reply.redirect(`/calls/${id}/risk`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return stage(request, reply, 'about', {
        form,
        errors: formErrors(error.errors, {
          '/person/name': { id: 'name', label: 'Name' },
          '/person/dateOfBirth': { id: 'dateOfBirth-day', label: 'Date of birth' },
          '/person/gender': { id: 'gender', label: 'Gender' },
          '/person/postcode': { id: 'postcode', label: 'Postcode' },
          '/person/phones': { id: 'phone', label: 'Phone number' },
          '/safeContact/phones': { id: 'phone', label: 'Phone number' },
          '/safeContact/safeTimesNote': { id: 'safeTimesNote', label: 'Safe times' },
          '/safeContact/codeWord': { id: 'codeWord', label: 'Code word' },
          '/safeContact/language': { id: 'language', label: 'Language' },
          '/children': { id: 'children', label: 'Number of children' },
        }),
      });
    }
  });

  // Stage 3: the 24 DASH questions on one page, with professional judgement.
  app.get('/calls/:id/risk', { config: { ...page, permission: 'risk:assess' }, schema: { params: IdParams } }, async (request, reply) =>
    stage(request, reply, 'risk', await checklistContext(request)),
  );

  async function checklistContext(request: FastifyRequest) {
    return asActor(request, async (tx, actor) => {
      const questionnaire = await risk.getQuestionnaire(tx, actor);
      return { questionnaire };
    });
  }

  app.post('/calls/:id/risk', { config: { ...page, permission: 'risk:assess' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const answers = (typeof form.answers === 'object' && form.answers !== null ? form.answers : {}) as Record<string, unknown>;
    const judgementLevel = text(form, 'judgementLevel');
    const input = {
      answers,
      policeCallouts12m: Number(text(form, 'policeCallouts12m') ?? '0'),
      otherIncidents12m: Number(text(form, 'otherIncidents12m') ?? '0'),
      ...(judgementLevel ? { professionalJudgement: { level: judgementLevel, reason: text(form, 'judgementReason') ?? '' } } : {}),
    };
    try {
      const checked = checkAgainst<NewAssessment>(NewAssessment, input);
      await asActor(request, (tx, actor) => risk.submitAssessment(tx, actor, id, checked));
      return reply.redirect(`/calls/${id}/needs`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      const context = await checklistContext(request);
      const fields: Record<string, { id: string; label: string }> = {
        '/policeCallouts12m': { id: 'policeCallouts12m', label: 'Police call-outs in the past 12 months' },
        '/otherIncidents12m': { id: 'otherIncidents12m', label: 'Other incidents in the past 12 months' },
        '/professionalJudgement/reason': { id: 'judgementReason', label: 'The reason for your judgement' },
        '/professionalJudgement': { id: 'judgementReason', label: 'The reason for your judgement' },
      };
      context.questionnaire.questions.forEach((q, i) => (fields[`/answers/${q.id}`] = { id: `answers-${q.id}`, label: `Question ${i + 1}` }));
      return stage(request, reply, 'risk', { ...context, form, errors: formErrors(error.errors, fields) });
    }
  });

  // Stage 4: needs, and a short account in the caller's words.
  app.get('/calls/:id/needs', { config: { ...page, permission: 'contact:update' }, schema: { params: IdParams } }, async (request, reply) =>
    stage(request, reply, 'needs'),
  );

  app.post('/calls/:id/needs', { config: { ...page, permission: 'contact:update' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    try {
      const checked = checkAgainst<ContactPatch>(ContactPatch, { needs: list(form, 'needs'), summary: text(form, 'summary') ?? '' });
      await asActor(request, (tx, actor) => contacts.updateContact(tx, actor, id, checked));
      return reply.redirect(`/calls/${id}/send`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      return stage(request, reply, 'needs', { form, errors: formErrors(error.errors, { '/needs': { id: 'needs', label: 'Needs' }, '/summary': { id: 'summary', label: 'What happened' } }) });
    }
  });

  // Stage 5: the proposed pathways with their reasons; choose, record consent, send.
  async function sendContext(request: FastifyRequest) {
    const { id } = request.params as { id: string };
    return asActor(request, (tx, actor) => pathwaysFor(tx, actor, id));
  }

  app.get('/calls/:id/send', { config: { ...page, permission: 'referral:create' }, schema: { params: IdParams } }, async (request, reply) => {
    const pathways = await sendContext(request);
    return stage(request, reply, 'send', { pathways, form: { services: pathways.proposals.map((p) => p.serviceId) } });
  });

  app.post('/calls/:id/send', { config: { ...page, permission: 'referral:create' }, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const form = (request.body ?? {}) as Form;
    const consent = text(form, 'consent');
    const input = {
      referrals: list(form, 'services').map((serviceId) => ({ serviceId })),
      consent,
      ...(consent && consent !== 'given' && text(form, 'lawfulBasis') ? { lawfulBasis: text(form, 'lawfulBasis') } : {}),
    };
    try {
      if (input.referrals.length === 0) throw Invalid.field('/referrals', 'choose at least one service');
      const checked = checkAgainst<NewReferrals>(NewReferrals, JSON.parse(JSON.stringify(input)));
      await asActor(request, (tx, actor) => sendReferrals(tx, actor, id, checked));
      return reply.redirect(`/contacts/${id}?sent=1`, 303);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      reply.code(422);
      const pathways = await sendContext(request);
      return stage(request, reply, 'send', {
        pathways,
        form: { ...form, services: list(form, 'services') },
        errors: formErrors(error.errors, {
          '/referrals': { id: 'services', label: 'Services' },
          '/consent': { id: 'consent', label: 'Consent' },
          '/lawfulBasis': { id: 'lawfulBasis', label: 'The lawful basis' },
        }),
      });
    }
  });
}
