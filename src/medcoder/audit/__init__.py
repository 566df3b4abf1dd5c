"""medcoder.audit"""
