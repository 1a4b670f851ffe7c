-- The full-load benchmark table (from shared/bench/create_orders.sql); row count from `psql -v rows=N`.
DROP TABLE IF EXISTS public.orders;
CREATE TABLE public.orders (
  id          bigint PRIMARY KEY,
  customer_id int NOT NULL,
  amount      numeric(12,2) NOT NULL,
  status      text NOT NULL,
  note        text,
  created_at  timestamptz NOT NULL,
  flag        boolean NOT NULL,
  score       double precision,
  ship_date   date,
  attrs       jsonb
);
INSERT INTO public.orders
SELECT g,
       1 + floor(random()*200000)::int,
       round((random()*5000)::numeric, 2),
       (ARRAY['pending','paid','shipped','delivered','cancelled','refunded'])[1 + floor(random()*6)::int],
       CASE WHEN random() < 0.05 THEN NULL
            ELSE substr(md5(random()::text) || md5(random()::text), 1, 30 + floor(random()*21)::int) END,
       timestamptz '2021-01-01 00:00:00+00' + g * interval '10 seconds' + floor(random()*10) * interval '1 second',
       random() < 0.5,
       CASE WHEN random() < 0.02 THEN NULL ELSE random()*100 END,
       CASE WHEN random() < 0.3 THEN NULL ELSE date '2021-01-01' + (g / 8640) + floor(random()*14)::int END,
       jsonb_build_object('channel', (ARRAY['web','app','store'])[1 + floor(random()*3)::int],
                          'items', 1 + floor(random()*9)::int,
                          'gift', random() < 0.1)
FROM generate_series(1, :rows) AS g;
VACUUM (ANALYZE) public.orders;
CHECKPOINT;
SELECT pg_size_pretty(pg_total_relation_size('public.orders')) total,
       pg_total_relation_size('public.orders') total_bytes,
       pg_relation_size('public.orders') heap_bytes,
       pg_indexes_size('public.orders') idx_bytes,
       (SELECT count(*) FROM public.orders) n;
