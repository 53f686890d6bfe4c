"""The demo: the Lạng Giang 2024 plan played from 2024 to 2027 on a simulated clock."""
