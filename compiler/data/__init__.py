"""Data binding: CSV tables (and pandas and xarray objects read as such), data blocks, scenarios, --set and
--perturb read into an Instance whose sets are pandas indexes and parameters xarray arrays, every value
checked and located. Imports: model/.
"""
