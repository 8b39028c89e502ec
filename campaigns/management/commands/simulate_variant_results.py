"""``manage.py simulate_variant_results <set id> [--days 14] [--seed 0] [--lift 0.2] [--winner RENDER]
[--impressions-per-day 20000]``: seeded daily insights for a variant set's sibling ads (the demo
and the e2e test; :func:`campaigns.experiments.simulator.simulate_variant_results`)."""

from django.core.management.base import BaseCommand, CommandError

from campaigns.experiments.simulator import simulate_variant_results


class Command(BaseCommand):
    help = "Write seeded simulated daily insights for the published variants of a variant set."

    def add_arguments(self, parser):
        parser.add_argument("set_id", type=int, help="The variant set's id.")
        parser.add_argument("--days", type=int, default=14, help="Days from the set's first publish (default 14).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--lift", type=float, default=0.2, help="True relative CTR/thruplay lift of the winner (0.2 = +20 %%).")
        parser.add_argument("--winner", type=int, default=None,
                            help="Render id of the arm that gets the lift (default: the first variant).")
        parser.add_argument("--impressions-per-day", type=int, default=20000, help="Impressions per arm per day (default 20000).")

    def handle(self, *args, set_id, days, seed, lift, winner, impressions_per_day, **options):
        from videogen.models import VariantSet

        variant_set = VariantSet.objects.select_related("organization", "ad_set").filter(pk=set_id).first()
        if variant_set is None:
            raise CommandError(f"No variant set with id {set_id}.")
        if lift <= -1:
            raise CommandError(f"--lift must be above -1 (got {lift}).")
        try:
            rows = simulate_variant_results(variant_set, days=days, seed=seed, lift=lift, winner_key=winner,
                                            impressions_per_day=impressions_per_day)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Variant set {set_id}: {rows} daily insight rows written (results at /experiments/{set_id}/)."))
