/** A retention report as the command line prints it: counts per record type, then the ids. */
import { londonDate } from '../../lib/dates.js';
import type { RetentionReport } from './retention.js';

export function describeRetention(report: RetentionReport): string {
  const { rules, cutoffs, due } = report;
  const lines = [
    `Partnership ${report.partnershipSlug}: ${report.dryRun ? 'due now (dry run: nothing changed)' : 'anonymised what was due'}`,
    `  rules: a person ${rules.peopleYears} years after their last activity (before ${londonDate(cutoffs.people)}); ` +
      `a contact with no person ${rules.unlinkedContactYears} years (before ${londonDate(cutoffs.unlinkedContacts)}); ` +
      `stored request answers ${rules.requestAnswerDays} days (before ${londonDate(cutoffs.requestAnswers)})`,
    `  due: ${due.people.length} people, ${due.unlinkedContacts.length} contacts with no person, ${due.requestAnswers} stored request answers`,
    `  records they reach: ${Object.entries(report.records).map(([type, n]) => `${type.replace(/_/g, ' ')} ${n}`).join(', ')}`,
  ];
  if (report.dryRun) {
    lines.push(`  people due: ${due.people.join(' ') || 'none'}`, `  contacts with no person due: ${due.unlinkedContacts.join(' ') || 'none'}`);
  } else {
    const { anonymised } = report;
    lines.push(
      `  anonymised ${anonymised.people} people and ${anonymised.contacts} contacts (each audited: person.anonymise, contact.anonymise); deleted ${anonymised.requestAnswersDeleted} stored request answers`,
    );
  }
  return lines.join('\n');
}
