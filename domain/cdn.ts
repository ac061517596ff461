/**
 * The optional `cdn` section of the config: static assets served by CloudFront from a private S3
 * bucket on numbered host names (`cdn0.<domain>` … `cdn<N-1>.<domain>`), as the 2010 setup did.
 * Absent, the stack creates nothing for it. This module owns the schema and the names derived
 * from it (aliases, the app's `asset_host`).
 */
import { z } from 'zod';

const hostName = z
  .string()
  .regex(
    /^(?=.{1,240}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'expected a lower-case domain name such as "smallpayroll.ca"',
  );

/** CloudFront only accepts ACM certificates issued in us-east-1, whatever the stack's region. */
const certificateArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
    'expected an ACM certificate ARN',
  )
  .refine((arn) => arn.split(':')[3] === 'us-east-1', {
    error: (issue) =>
      `expected a certificate in us-east-1 (CloudFront uses only those), got one in ${String(issue.input).split(':')[3]}`,
  });

export const CdnSchema = z
  .object({
    /** The app's domain: the hosts are `cdn0.<domain>` …; the certificate must cover them. */
    domain: hostName,
    certificateArn,
    /** How many numbered host names (browsers open more connections to more hosts). */
    hosts: z.number().int().min(1).max(10).default(4),
    /** When set, A and AAAA alias records for every host are created in this Route 53 zone. */
    hostedZoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{1,32}$/, 'expected a Route 53 hosted zone id such as "Z0123456789ABC"')
      .optional(),
    /** Which edge locations serve (PriceClass_100: North America and Europe, the cheapest). */
    priceClass: z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_100'),
    /** Keep old object versions (expired after 30 days) so a bad sync can be rolled back. */
    versioning: z.boolean().default(false),
    /** CloudFront's access logs are kept this many days in the stack's log bucket. */
    logRetentionDays: z.number().int().min(1).max(3650).default(90),
    /**
     * Pages on these origins may load the assets cross-origin (fonts, scripts with `crossorigin`):
     * CloudFront answers them with CORS headers. Default: `https://<domain>` and `https://www.<domain>`.
     */
    corsOrigins: z
      .array(
        z
          .string()
          .regex(
            /^https:\/\/(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?$/,
            'expected an origin such as "https://smallpayroll.ca" (https, a lower-case host, no path)',
          ),
      )
      .min(1)
      .max(10)
      .optional(),
  })
  .strict();

export type CdnConfig = z.infer<typeof CdnSchema>;

/** The host names the distribution answers to: `cdn0.<domain>` … `cdn<hosts-1>.<domain>`. */
export function cdnAliases(cdn: Pick<CdnConfig, 'domain' | 'hosts'>): string[] {
  return Array.from({ length: cdn.hosts }, (_, i) => `cdn${i}.${cdn.domain}`);
}

/** The origins whose pages may load the assets cross-origin. */
export function corsOrigins(cdn: Pick<CdnConfig, 'domain' | 'corsOrigins'>): string[] {
  return cdn.corsOrigins ?? [`https://${cdn.domain}`, `https://www.${cdn.domain}`];
}

/** The app's asset host pattern, as Rails takes it: `config.asset_host = "cdn%d.smallpayroll.ca"`. */
export function assetHost(cdn: Pick<CdnConfig, 'domain'>): string {
  return `cdn%d.${cdn.domain}`;
}
